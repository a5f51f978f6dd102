// One child process of the instances curve's multi-process variant (scale-instances-procs.ts):
// `instances` Nest apps with one fan-out handler each, driven over the IPC channel.
//   parent → { cmd: 'arm', target }   count from 0; report when this process handled `target`
//   parent → { cmd: 'stop' }          close the apps and exit
//   child  → { ready } | { armed } | { reached } | { stopped }
import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import type { JetStreamEventMode } from '@nest-jetstream/transport';
import { startOurs } from './scale-apps.js';
import { fanCount, fanModule } from './scale-fan-app.js';

export interface FanChildTask {
  url: string;
  mode: JetStreamEventMode;
  instances: number;
}

export type FanParentMessage = { cmd: 'arm'; target: number } | { cmd: 'stop' };

export type FanChildMessage =
  | { kind: 'ready' }
  | { kind: 'armed' }
  /** process.hrtime.bigint() when the first delivery since the arm and the target were handled, as strings. */
  | { kind: 'reached'; first: string; reached: string }
  | { kind: 'stopped' };

const send = (m: FanChildMessage) => process.send?.(m);

async function main(task: FanChildTask): Promise<void> {
  const module = fanModule(task.mode);
  const apps: INestMicroservice[] = [];
  for (let i = 0; i < task.instances; i++) apps.push(await startOurs(task.url, module));
  fanCount.onReached = () => send({ kind: 'reached', first: fanCount.firstAt.toString(), reached: fanCount.reachedAt.toString() });
  process.on('message', (m: FanParentMessage) => {
    if (m.cmd === 'arm') {
      fanCount.arm(m.target);
      send({ kind: 'armed' });
    } else {
      void (async () => {
        for (const app of apps) await app.close();
        send({ kind: 'stopped' });
        process.disconnect();
      })();
    }
  });
  send({ kind: 'ready' });
}

main(JSON.parse(process.argv[2] ?? '{}') as FanChildTask).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
