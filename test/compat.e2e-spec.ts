import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NatsServer, NdjsonProcess } from '@nest-jetstream/testing';

interface Line {
  event: string;
  delivery?: number;
  nest?: string;
  invocation?: string;
}

const apps = [
  { name: 'NestJS 11, CommonJS', dir: 'nest11-cjs', entry: 'app.cjs', nest: /^11\./ },
  { name: 'NestJS 12, ES modules', dir: 'nest12-esm', entry: 'app.mjs', nest: /^12\./ },
];

describe('the packed library in a NestJS 11 (CommonJS) and a NestJS 12 (ESM) app, real nats-server', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(() => server?.stop());

  it.each(apps)('$name: a handler (called directly) fails once, is redelivered, succeeds, and the app closes cleanly', async ({ dir, entry, nest }) => {
    const appDir = join(__dirname, 'compat', dir);
    if (!existsSync(join(appDir, 'node_modules', '@nest-jetstream', 'transport'))) {
      throw new Error(`${dir} has no installed @nest-jetstream/transport: run \`npm run setup\` (scripts/prepare-compat.sh) first.`);
    }
    const child = NdjsonProcess.spawn<Line>(process.execPath, [join(appDir, entry)], {
      env: { ...process.env, NATS_URL: server.url, STREAM: `COMPAT_${dir.replace(/-/g, '_').toUpperCase()}`, SUBJECT_PREFIX: `compat.${dir}` },
    });
    const { lines } = child;
    try {
      await child.waitForLine(`${dir} to handle the event twice`, () => lines.filter((l) => l.event === 'handled').length === 2, { timeout: 20_000 });
      expect(lines.find((l) => l.event === 'published')?.nest).toMatch(nest);
      // The packed build finds Nest's internals in both majors: the handler is called directly.
      expect(lines.find((l) => l.event === 'published')?.invocation).toBe('direct');
      expect(lines.filter((l) => l.event === 'handled').map((l) => l.delivery)).toEqual([1, 2]);
      child.write('close\n');
      expect((await child.exited).code).toBe(0);
      expect(lines.at(-1)?.event).toBe('closed');
    } finally {
      await child.kill();
    }
  });
});
