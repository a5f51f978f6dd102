// One RSS drain (ours, raw, or raw beside an empty Nest microservice), or the empty microservice alone, in a child of its own, for finding what the heap holds (#24):
//   SCALE_CHILD_FLAGS='--trace-gc' node -r ./scripts/register.cjs bench/scale-rss-probe.ts <ours|raw|nest-raw|nest-raw-async|baseline> [messages]
// Prints the child's JSON (memory, GC counts, V8 heap spaces). The child's own flags go in SCALE_CHILD_FLAGS.
import 'reflect-metadata';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { run } from './lib.js';
import { workSubject } from './scale-apps.js';
import type { ChildTask } from './scale-child.js';
import { inChild, until } from './scale-lib.js';

async function main(): Promise<void> {
  const arg = process.argv[2] ?? 'ours';
  const kinds = ['ours', 'raw', 'nest-raw', 'nest-raw-async', 'baseline'];
  if (!kinds.includes(arg)) throw new Error(`unknown drain "${arg}": one of ${kinds.join(', ')}`);
  if (arg === 'baseline') {
    console.log(JSON.stringify(await inChild({ kind: 'baseline' })));
    return;
  }
  const messages = Number(process.argv[3] ?? 100_000);
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.add({ name: 'SCALE_RSS', subjects: [workSubject] });
    const js = jetstream(nc);
    const body = new Uint8Array(1024).fill(120);
    let next = 0;
    const lane = async () => {
      while (next < messages) {
        next++;
        await js.publish(workSubject, body);
      }
    };
    await Promise.all(Array.from({ length: 256 }, lane));
    await until(`${messages} stored`, async () => (await jsm.streams.info('SCALE_RSS')).state.messages >= messages);
    const url = server.url;
    const task: ChildTask =
      arg === 'raw'
        ? { kind: 'raw-drain', url, messages }
        : arg === 'nest-raw' || arg === 'nest-raw-async'
          ? { kind: 'nest-raw-drain', url, messages, async: arg === 'nest-raw-async' }
          : { kind: 'ours-drain', url, messages };
    console.log(JSON.stringify(await inChild(task)));
  } finally {
    await nc.close();
    await server.stop();
  }
}

run(main);
