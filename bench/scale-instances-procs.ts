// The instances of the fan-out curve, either all in this process or spread over child processes
// (scale-fan-child.ts): one interface, so the same measurement runs on both and tells what one
// shared Node thread costs from what the library costs.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import type { JetStreamEventMode } from '@nest-jetstream/transport';
import { startOurs } from './scale-apps.js';
import { FAN_STREAM, FAN_SUBJECT, fanCount, fanModule } from './scale-fan-app.js';
import type { FanChildMessage, FanChildTask, FanParentMessage } from './scale-fan-child.js';

export interface Reached {
  first: bigint;
  last: bigint;
}

/** Instances of one fan-out handler, wherever they run. */
export interface Fleet {
  /** The processes that hold the instances (for their CPU). */
  readonly pids: number[];
  /** Count from 0 in every process; `reached()` resolves when every instance handled `perInstance` messages. */
  arm(perInstance: number): Promise<void>;
  /** process.hrtime.bigint() when the first delivery since `arm()` was handled, and when the last process reached its target. */
  reached(): Promise<Reached>;
  close(): Promise<void>;
}

/** A fleet whose instances count in this process's `fanCount`. */
function local(instances: number, close: () => Promise<void>): Fleet {
  let done: Promise<Reached> = Promise.resolve({ first: 0n, last: 0n });
  return {
    pids: [process.pid],
    arm: async (perInstance) => {
      done = new Promise((resolve) => (fanCount.onReached = () => resolve({ first: fanCount.firstAt, last: fanCount.reachedAt })));
      fanCount.arm(perInstance * instances);
    },
    reached: () => done,
    close,
  };
}

/** `instances` apps in this process: one Node thread handles every delivery. */
export async function inProcess(url: string, mode: JetStreamEventMode, instances: number): Promise<Fleet> {
  const module = fanModule(mode);
  const apps: INestMicroservice[] = [];
  const close = async () => {
    for (const app of apps.splice(0)) await app.close();
  };
  try {
    for (let i = 0; i < instances; i++) apps.push(await startOurs(url, module));
  } catch (err) {
    await close();
    throw err;
  }
  return local(instances, close);
}

/** The split of `instances` over `procs` processes: as even as it goes. */
const split = (instances: number, procs: number) => Array.from({ length: procs }, (_, i) => Math.floor(instances / procs) + (i < instances % procs ? 1 : 0));

/** One child process with `instances` apps; `next(kind)` resolves with the next message of that kind. */
function child(task: FanChildTask) {
  const proc: ChildProcess = fork(join(__dirname, 'scale-fan-child.ts'), [JSON.stringify(task)], {
    execArgv: ['-r', join(__dirname, '..', 'scripts/register.cjs')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<FanChildMessage['kind'], (m: FanChildMessage) => void>();
  let failure: Error | undefined;
  proc.on('message', (m: FanChildMessage) => {
    const resolve = waiting.get(m.kind);
    waiting.delete(m.kind);
    resolve?.(m);
  });
  proc.on('exit', (code) => {
    if (code !== 0) failure = new Error(`bench fan-out child (${task.instances} ${task.mode} instances) exited with ${code}`);
    for (const resolve of waiting.values()) resolve({ kind: 'stopped' });
  });
  const next = <K extends FanChildMessage['kind']>(kind: K) =>
    new Promise<Extract<FanChildMessage, { kind: K }>>((resolve, reject) => {
      if (failure || proc.exitCode !== null) return reject(failure ?? new Error('bench fan-out child gone'));
      waiting.set(kind, (m) => (failure ? reject(failure) : resolve(m as Extract<FanChildMessage, { kind: K }>)));
    });
  const tell = (m: FanParentMessage) => proc.send(m);
  return { proc, next, tell, instances: task.instances };
}

/** `instances` apps spread over `procs` child processes, each with its own Node thread. */
export async function inChildren(url: string, mode: JetStreamEventMode, instances: number, procs: number): Promise<Fleet> {
  const children = split(instances, procs)
    .filter((k) => k > 0)
    .map((k) => child({ url, mode, instances: k }));
  let done: Promise<Reached> = Promise.resolve({ first: 0n, last: 0n });
  const close = async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.proc.exitCode !== null || !c.proc.connected) return;
        const stopped = c.next('stopped');
        c.tell({ cmd: 'stop' });
        await stopped;
      }),
    );
  };
  try {
    await Promise.all(children.map((c) => c.next('ready')));
  } catch (err) {
    await close().catch(() => undefined);
    for (const c of children) c.proc.kill();
    throw err;
  }
  return {
    pids: children.map((c) => c.proc.pid ?? NaN),
    arm: async (perInstance) => {
      const armed = children.map((c) => c.next('armed'));
      const reached = children.map((c) => c.next('reached'));
      for (const c of children) c.tell({ cmd: 'arm', target: perInstance * c.instances });
      await Promise.all(armed);
      done = Promise.all(reached).then((ms) => ({
        first: ms.map((m) => BigInt(m.first)).reduce((a, b) => (b < a ? b : a)),
        last: ms.map((m) => BigInt(m.reached)).reduce((a, b) => (b > a ? b : a)),
      }));
    },
    reached: () => done,
    close,
  };
}

/**
 * `instances` raw `@nats-io/jetstream` pull consumers in this process (no Nest, nothing of ours),
 * configured as a broadcast instance's: a durable each, explicit acks, new messages only, each on
 * its own connection. What the server and one Node thread cost without the library.
 */
export async function rawInProcess(url: string, instances: number): Promise<Fleet> {
  const { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } = await import('@nats-io/jetstream');
  const { connect } = await import('@nats-io/transport-node');
  const held: { close(): Promise<void> }[] = [];
  const close = async () => {
    for (const h of held.splice(0)) await h.close();
  };
  try {
    for (let i = 0; i < instances; i++) {
      const nc = await connect({ servers: url });
      const jsm = await jetstreamManager(nc);
      const name = `raw_${i}`;
      await jsm.consumers.add(FAN_STREAM, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        filter_subject: FAN_SUBJECT,
        inactive_threshold: 60_000_000_000,
      });
      const messages = await (
        await jetstream(nc).consumers.get(FAN_STREAM, name)
      ).consume({
        max_messages: 100,
        expires: 5_000,
        idle_heartbeat: 2_500,
        callback: (m) => {
          m.ack();
          fanCount.tick();
        },
      });
      held.push({
        close: async () => {
          await messages.close();
          await jsm.consumers.delete(FAN_STREAM, name);
          await nc.close();
        },
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return local(instances, close);
}
