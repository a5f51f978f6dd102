// Shared jest settings: swc compiles TypeScript (with decorator metadata, which Nest needs)
// and the ES-module-only NestJS 12 packages, so one CommonJS test runtime loads both.
const path = require('node:path');

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@nest-jetstream/transport$': path.join(__dirname, 'packages/transport/src/index.ts'),
    '^@nest-jetstream/testing$': path.join(__dirname, 'packages/testing/src/index.ts'),
  },
};
