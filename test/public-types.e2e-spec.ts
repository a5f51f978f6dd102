import { execFile } from 'node:child_process';
import { join } from 'node:path';

// The published .d.ts is the documented API and nothing more: test/types/public-api.ts uses what
// users may use, and marks with @ts-expect-error what must stay out of reach. It compiles against
// the built package (npm test builds it first) with skipLibCheck off, so the .d.ts files must be
// consistent too.
describe('published types', () => {
  it('compile for a user of the documented API, and keep the internals out of reach', async () => {
    const root = join(__dirname, '..');
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(__dirname, 'types/tsconfig.json')], (err, stdout, stderr) =>
        resolve({ code: err ? ((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, text: `${stdout}${stderr}` }),
      );
    });
    expect(out.text).toBe('');
    expect(out.code).toBe(0);
  }, 300_000);
});
