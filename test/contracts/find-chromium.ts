// Where the browser tests find Debian's chromium: CHROMIUM_BIN, else chromium or chromium-browser
// on PATH. scripts/install-chromium.sh (run by npm run setup and npm test) installs it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The chromium binary, or an error that says how to get one. */
export function findChromium(): string {
  const given = process.env['CHROMIUM_BIN'];
  if (given) {
    if (!existsSync(given)) throw new Error(`CHROMIUM_BIN=${given} does not exist: point it at a Chromium binary, or unset it to use chromium on PATH.`);
    return given;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not on PATH: the next name
    }
  }
  throw new Error(
    'No chromium for the browser test: run `bash scripts/install-chromium.sh` (Debian: apt-get install -y chromium; npm run setup does it), or set CHROMIUM_BIN to a Chromium binary.',
  );
}
