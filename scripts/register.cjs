// Runs the workspace's TypeScript sources directly in a child process (tests, demo):
// `node -r ./scripts/register.cjs file.ts`. swc compiles with decorator metadata;
// this hook maps `./x.js` imports to `./x.ts` and the package names to their src.
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const packages = {
  '@nest-jetstream/transport': path.join(root, 'packages/transport/src/index.ts'),
  '@nest-jetstream/transport/metrics': path.join(root, 'packages/transport/src/metrics/index.ts'),
  '@nest-jetstream/transport/tracing': path.join(root, 'packages/transport/src/tracing/index.ts'),
  '@nest-jetstream/transport/terminus': path.join(root, 'packages/transport/src/terminus/index.ts'),
  '@nest-jetstream/transport/sql': path.join(root, 'packages/transport/src/sql/index.ts'),
  '@nest-jetstream/transport/asyncapi': path.join(root, 'packages/transport/src/asyncapi/index.ts'),
  '@nest-jetstream/transport/class-validator': path.join(root, 'packages/transport/src/class-validator/index.ts'),
  '@nest-jetstream/transport/kv': path.join(root, 'packages/transport/src/kv/index.ts'),
  '@nest-jetstream/testing': path.join(root, 'packages/testing/src/index.ts'),
  '@nest-jetstream/example-shared': path.join(root, 'examples/shared/src/index.ts'),
};

// NEST_COMPAT=11: @nestjs/* from the NestJS 11 compat install, as jest.preset.js maps them (the bench on Nest 11).
const nest11 = process.env.NEST_COMPAT === '11' ? path.join(root, 'test/compat/nest11-cjs/node_modules/@nestjs') : undefined;

// The test passes on Node 22 and 24 build better-sqlite3 for their ABI (scripts/install-node.sh):
// a child process loads that build, as jest.preset.js maps it for the tests themselves.
const sqlite = process.env.BETTER_SQLITE3_DIR;

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (packages[request]) return packages[request];
  if (sqlite && request === 'better-sqlite3') return resolve.call(this, sqlite, parent, ...rest);
  const nest = nest11 && /^@nestjs\/([a-z-]+)(\/.*)?$/.exec(request);
  if (nest) return resolve.call(this, path.join(nest11, nest[1], nest[2] ?? ''), parent, ...rest);
  if (parent && parent.filename && /^\.{1,2}\//.test(request) && request.endsWith('.js')) {
    const ts = path.resolve(path.dirname(parent.filename), request.slice(0, -3) + '.ts');
    if (fs.existsSync(ts)) return ts;
  }
  return resolve.call(this, request, parent, ...rest);
};

process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.base.json');
require('@swc-node/register');
