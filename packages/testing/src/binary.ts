import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Which cached nats-server `scripts/install-nats-server.sh` put in place. */
export type NatsServerVersionLabel = 'newest' | 'oldest';

const CACHE_RELATIVE = join('.cache', 'nats-server', 'bin');

function findCacheDir(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, CACHE_RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Finds the nats-server binary to run. `NATS_SERVER_BIN` wins; otherwise the cached
 * binary named by `NATS_SERVER_VERSION` (`newest` by default) under `.cache/nats-server/bin`
 * in this or a parent folder of the working directory; otherwise `nats-server` on the PATH.
 */
export function resolveNatsServerBinary(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const explicit = env['NATS_SERVER_BIN'];
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new Error(`NATS_SERVER_BIN points at ${explicit}, which does not exist. Fix the path or unset NATS_SERVER_BIN.`);
    }
    return explicit;
  }
  const label = (env['NATS_SERVER_VERSION'] ?? 'newest') as string;
  if (label !== 'newest' && label !== 'oldest') {
    throw new Error(`NATS_SERVER_VERSION is "${label}"; use "newest" or "oldest", or set NATS_SERVER_BIN to a binary.`);
  }
  const cache = findCacheDir(cwd);
  const cached = cache && join(cache, `nats-server-${label}`);
  if (cached && existsSync(cached)) return cached;
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `No nats-server found: no ${CACHE_RELATIVE}/nats-server-${label} above ${cwd} and none on the PATH. ` +
        'Install nats-server (macOS: brew install nats-server; Debian/Ubuntu: apt-get install nats-server; anywhere: the release archive ' +
        'from https://github.com/nats-io/nats-server/releases, or go install github.com/nats-io/nats-server/v2@latest) and put it on the PATH, ' +
        'or set NATS_SERVER_BIN=/path/to/nats-server. In the nest-jetstream repository itself, `npm run nats:install` fetches both tested versions.',
    );
  }
}

const versions = new Map<string, string>();

/** The version a nats-server binary reports, e.g. `2.9.10` (asked once per binary per process). */
export function natsServerBinaryVersion(binary: string): string {
  const known = versions.get(binary);
  if (known) return known;
  const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  const match = /v?(\d+\.\d+\.\d+)/.exec(out);
  if (!match) throw new Error(`Could not read a version from \`${binary} --version\`: ${out.trim()}`);
  versions.set(binary, match[1]);
  return match[1];
}
