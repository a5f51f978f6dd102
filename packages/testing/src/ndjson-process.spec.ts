import { NdjsonProcess } from './ndjson-process.js';

/** A node child running `script`. */
const node = (script: string) => NdjsonProcess.spawn<{ event: string; n?: number }>(process.execPath, ['-e', script]);

describe('NdjsonProcess (real child processes)', () => {
  it('joins a JSON line written in pieces, and keeps other lines apart', async () => {
    const child = node(`
      process.stdout.write('starting up\\n{"event":"rea');
      setTimeout(() => process.stdout.write('dy","n":1}\\n{"event":"last"}'), 50);
    `);
    await child.waitForLine('the ready line', (l) => l.event === 'ready');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    // The last line has no newline: it is read at the end of the output.
    expect(child.lines).toEqual([{ event: 'ready', n: 1 }, { event: 'last' }]);
    expect(child.text).toEqual(['starting up']);
  });

  it('fails at once, with its stderr, when the process exits without the line', async () => {
    const child = node(`console.error('cannot connect'); process.exit(3);`);
    const started = Date.now();
    await expect(child.waitForLine('the ready line', (l) => l.event === 'ready', { timeout: 30_000 })).rejects.toThrow(
      /the ready line: the process ended \(code 3\) before it printed such a line\.\nstderr: cannot connect/,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('fails after the timeout, saying what never came', async () => {
    const child = node(`setInterval(() => {}, 1000);`);
    try {
      await expect(child.waitForLine('the ready line', (l) => l.event === 'ready', { timeout: 200 })).rejects.toThrow(
        /Timed out after 200 ms waiting for: the ready line/,
      );
    } finally {
      expect(await child.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    }
    expect(child.pid).toBeUndefined();
  });

  it('passes stdin through and reports how the process ended', async () => {
    const child = node(`process.stdin.once('data', (d) => { console.log(JSON.stringify({ event: 'got', n: Number(d) })); process.exit(0); });`);
    child.write('42\n');
    expect(await child.waitForLine('the echo', (l) => l.event === 'got')).toEqual({ event: 'got', n: 42 });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    // Killing a process that already exited does nothing.
    expect(await child.kill()).toEqual({ code: 0, signal: null });
  });
});
