import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headingAnchors, markdownLinks } from '../docs/markdown-links';

// The tarballs npm would publish (scripts/pack-packages.sh, run by npm test after the build), as a
// user gets them: every README link reachable from npm, the package.json fields npm and bundlers
// read, source maps that carry their sources, and publint and @arethetypeswrong/cli clean.
const root = join(__dirname, '..', '..');
const packDir = join(root, '.cache', 'packs');
const REPOSITORY = 'https://github.com/nest-jetstream/nest-jetstream';
const REPO_FILE = new RegExp(`^${REPOSITORY.replace(/[.]/g, '\\.')}/(?:blob|tree)/main/([^#]+)(?:#(.*))?$`);

/** The part of `attw --format json` this test reads. */
interface AttwReport {
  analysis: {
    problems: unknown[];
    entrypoints: Record<string, { resolutions: { node10: { resolution?: { fileName: string } } } }>;
  };
}

interface Packed {
  name: string;
  tarball: string;
  dir: string;
  files: string[];
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) || 1 : 0, output: `${stdout}${stderr}` }),
    );
  });
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry}` : entry;
    return statSync(join(dir, path)).isDirectory() ? listFiles(dir, path) : [path];
  });
}

/** Where a README link leads, or why it leads nowhere a user of the npm package can follow. */
function brokenLink(target: string, packed: Packed, readme: string): string | undefined {
  if (target.startsWith('#')) return headingAnchors(readme).has(target.slice(1)) ? undefined : 'no heading has this anchor';
  const inRepo = REPO_FILE.exec(target);
  if (inRepo) {
    const path = join(root, inRepo[1]);
    if (!existsSync(path)) return `${inRepo[1]} does not exist in the repository`;
    const isDir = statSync(path).isDirectory();
    const doc = isDir ? join(path, 'README.md') : path;
    // `#readme` is GitHub's anchor for a folder's README.
    if (inRepo[2] && !(isDir && inRepo[2] === 'readme') && doc.endsWith('.md') && !headingAnchors(readFileSync(doc, 'utf8')).has(inRepo[2]))
      return `${inRepo[1]} has no heading #${inRepo[2]}`;
    return undefined;
  }
  if (/^https?:\/\//.test(target) || target.startsWith('mailto:')) return undefined;
  const file = target.split('#')[0].replace(/^\.\//, '');
  return packed.files.includes(file) ? undefined : `${file} is not in the tarball: link it absolutely (${REPOSITORY}/blob/main/...) or ship it`;
}

describe('the packed packages, as npm would publish them', () => {
  const packs: Packed[] = [];
  let extractRoot: string;

  beforeAll(async () => {
    const tarballs = existsSync(packDir) ? readdirSync(packDir).filter((f) => f.endsWith('.tgz')) : [];
    if (tarballs.length !== 2) {
      throw new Error(
        `expected the two packed packages in ${packDir}, found ${tarballs.length}: build, then run \`bash scripts/pack-packages.sh\` (npm test does both).`,
      );
    }
    extractRoot = mkdtempSync(join(tmpdir(), 'nest-jetstream-packs-'));
    for (const tarball of tarballs) {
      const dir = join(extractRoot, tarball.replace(/\.tgz$/, ''));
      const out = await run('sh', ['-c', `mkdir -p "${dir}" && tar -xzf "${join(packDir, tarball)}" -C "${dir}"`]);
      if (out.code !== 0) throw new Error(`cannot extract ${tarball}: ${out.output}`);
      const pkgDir = join(dir, 'package');
      const name = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name: string }).name;
      packs.push({ name, tarball: join(packDir, tarball), dir: pkgDir, files: listFiles(pkgDir) });
    }
    packs.sort((a, b) => a.name.localeCompare(b.name));
  });
  afterAll(() => extractRoot && rmSync(extractRoot, { recursive: true, force: true }));

  it('are the transport and the testing package', () => {
    expect(packs.map((p) => p.name)).toEqual(['@nest-jetstream/testing', '@nest-jetstream/transport']);
  });

  it('have README links that all resolve: a file in the tarball, a heading, or an absolute URL (repository paths that exist)', () => {
    const broken = packs.flatMap((packed) => {
      const readme = readFileSync(join(packed.dir, 'README.md'), 'utf8');
      return markdownLinks(readme).flatMap(({ target, line }) => {
        const why = brokenLink(target, packed, readme);
        return why ? [`${packed.name} README.md:${line}: ${target}: ${why}`] : [];
      });
    });
    expect(broken).toEqual([]);
    expect(markdownLinks(readFileSync(join(packs[1].dir, 'README.md'), 'utf8')).length).toBeGreaterThan(20);
  });

  it('say where they come from and what they need, in package.json', () => {
    for (const packed of packs) {
      const pkg = JSON.parse(readFileSync(join(packed.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      const dir = packed.name.replace('@nest-jetstream/', 'packages/');
      expect({ name: packed.name, ...pkg }).toMatchObject({
        name: packed.name,
        license: 'MIT',
        repository: { type: 'git', url: `git+${REPOSITORY}.git`, directory: dir },
        homepage: `${REPOSITORY}/tree/main/${dir}#readme`,
        bugs: { url: `${REPOSITORY}/issues` },
        engines: { node: '^20.19.0 || >=22.12.0' },
        sideEffects: false,
        exports: expect.objectContaining({ './package.json': './package.json' }),
      });
      expect((pkg.keywords as string[]).length).toBeGreaterThan(3);
      expect(packed.files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md']));
      expect(packed.files.filter((f) => f.startsWith('src/') || f.endsWith('.spec.js'))).toEqual([]);
    }
  });

  it('ship source maps that carry their sources (no map points to a file that is not there)', () => {
    const bare = packs.flatMap((packed) =>
      packed.files
        .filter((f) => f.endsWith('.map'))
        .filter((f) => {
          const map = JSON.parse(readFileSync(join(packed.dir, f), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
          return map.sources.some((source, i) => typeof map.sourcesContent?.[i] !== 'string' && !packed.files.includes(join(f, '..', source)));
        })
        .map((f) => `${packed.name}/${f}`),
    );
    expect(bare).toEqual([]);
    expect(packs.every((p) => p.files.some((f) => f.endsWith('.js.map')))).toBe(true);
  });

  it('pass publint --strict', async () => {
    const outs = await Promise.all(packs.map((packed) => run(join(root, 'node_modules', '.bin', 'publint'), ['--strict', packed.tarball])));
    outs.forEach((out, i) => {
      expect({ tarball: packs[i].tarball, code: out.code, problems: out.code === 0 ? '' : out.output }).toEqual({
        tarball: packs[i].tarball,
        code: 0,
        problems: '',
      });
    });
  }, 60_000);

  it('pass @arethetypeswrong/cli: types resolve for node10 (TypeScript module commonjs), node16 CJS and ESM, and bundlers, subpaths included', async () => {
    const outs = await Promise.all(
      packs.map((packed) => run(join(root, 'node_modules', '.bin', 'attw'), ['--no-definitely-typed', '--format', 'json', packed.tarball])),
    );
    const reports = outs.map((out, i) => {
      const report = JSON.parse(out.output) as AttwReport;
      expect({ tarball: packs[i].tarball, code: out.code, problems: report.analysis.problems }).toEqual({ tarball: packs[i].tarball, code: 0, problems: [] });
      return report;
    });
    // The point of typesVersions: a NestJS 11 app on `module: commonjs` resolves the subpaths' types.
    const transport = reports[packs.findIndex((p) => p.name === '@nest-jetstream/transport')];
    const node10 = Object.fromEntries(
      Object.entries(transport.analysis.entrypoints).map(([subpath, e]) => [
        subpath,
        e.resolutions.node10.resolution?.fileName.replace(/^.*@nest-jetstream\/transport\//, ''),
      ]),
    );
    expect(node10).toEqual({
      '.': 'dist/cjs/index.d.ts',
      './metrics': 'dist/cjs/metrics/index.d.ts',
      './tracing': 'dist/cjs/tracing/index.d.ts',
      './terminus': 'dist/cjs/terminus/index.d.ts',
      './sql': 'dist/cjs/sql/index.d.ts',
      './asyncapi': 'dist/cjs/asyncapi/index.d.ts',
      './class-validator': 'dist/cjs/class-validator/index.d.ts',
      './kv': 'dist/cjs/kv/index.d.ts',
      './package.json': 'package.json',
    });
  }, 60_000);
});
