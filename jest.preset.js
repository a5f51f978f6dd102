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

// NEST_COMPAT=11 runs the same tests against the NestJS 11 (CommonJS) packages installed
// in test/compat/nest11-cjs, so CI proves both majors with one suite.
const nest11 = path.join(__dirname, 'test/compat/nest11-cjs/node_modules/@nestjs');
const nestMapper = process.env.NEST_COMPAT === '11' ? { '^@nestjs/([a-z-]+)(/.*)?$': `${nest11}/$1$2` } : {};
// The Node 22 and 24 passes of scripts/test.sh load better-sqlite3 built for their ABI (.cache/node).
const sqliteMapper = process.env.BETTER_SQLITE3_DIR ? { '^better-sqlite3$': process.env.BETTER_SQLITE3_DIR } : {};

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  moduleNameMapper: {
    ...nestMapper,
    ...sqliteMapper,
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@nest-jetstream/transport$': path.join(__dirname, 'packages/transport/src/index.ts'),
    '^@nest-jetstream/transport/(metrics|tracing|terminus|sql|asyncapi|class-validator)$': path.join(__dirname, 'packages/transport/src/$1/index.ts'),
    '^@nest-jetstream/testing$': path.join(__dirname, 'packages/testing/src/index.ts'),
    '^@nest-jetstream/example-shared$': path.join(__dirname, 'examples/shared/src/index.ts'),
  },
};
