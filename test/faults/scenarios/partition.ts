// 4. A network partition: the 3 nodes and the client side each in a network namespace of their
// own (veth pairs to a bridge), the R3 stream's leader cut off from the other two nodes, a client
// connected to that minority side only, then the partition healed. `side` says where the consumer
// app's connection is when the cut comes: on the cut-off leader (`minority`) or on the majority. The scenario itself runs in
// the client namespace (partition-driver.ts); this part makes the namespaces and removes them.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveNatsServerBinary } from '@nest-jetstream/testing';
import type { FaultReport } from '../workload/workload';
import { createNetns, destroyNetns, wrapBinary } from './netns';
import type { RunOptions } from './sizes';

const ROOT = join(__dirname, '..', '..', '..');
const DRIVER_TIMEOUT_MS = 5 * 60_000;

/** Where the consumer app's connection is when the stream leader is cut off. */
export type PartitionSide = 'minority' | 'majority';

export async function partition(opts: RunOptions, side: PartitionSide = 'minority'): Promise<FaultReport> {
  const layout = createNetns(`njp${process.pid % 100_000}`, 3);
  const dir = mkdtempSync(join(tmpdir(), 'faults-partition-'));
  try {
    const binary = resolveNatsServerBinary({ ...process.env, NATS_SERVER_VERSION: opts.version });
    const wrappers = layout.nodes.map((ns) => wrapBinary(dir, ns, binary));
    const driver = spawn(
      'ip',
      ['netns', 'exec', layout.client, process.execPath, '-r', join(ROOT, 'scripts/register.cjs'), join(__dirname, 'partition-driver.ts')],
      {
        env: { ...process.env, FAULT_OPTS: JSON.stringify(opts), FAULT_SIDE: side, FAULT_NETNS: JSON.stringify({ ...layout, wrappers }) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    driver.stdout.on('data', (c: Buffer) => (out += c.toString()));
    driver.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // Bounded: a driver that overruns is killed (and what it started goes with the namespaces).
    const timer = setTimeout(() => driver.kill('SIGKILL'), DRIVER_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => driver.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    // FAULT_TRACE=1: the driver's timeline of the recovery (workload/timeline.ts).
    if (process.env.FAULT_TRACE === '1') process.stderr.write(err);
    const report = out
      .split('\n')
      .filter((l) => l.startsWith('{"scenario"'))
      .at(-1);
    if (code !== 0 || !report) throw new Error(`partition driver exited ${code ?? 'by a signal'}:\n${err.split('\n').slice(-30).join('\n')}`);
    return JSON.parse(report) as FaultReport;
  } finally {
    destroyNetns(layout);
    rmSync(dir, { recursive: true, force: true });
  }
}
