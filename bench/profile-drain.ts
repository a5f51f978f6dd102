// A CPU profile of one drain alone (the fill, the boot and the warm-up left out), for finding where the time per message goes.
//   node -r ./scripts/register.cjs bench/profile-drain.ts <raw|rawDefaults|tuned|defaults|guard|pipe|interceptor> [out.cpuprofile]
//   (BENCH_MESSAGES, NEST_COMPAT=11, BENCH_ENHANCERS=nest as for bench/run.ts). Prints CPU µs per message; open the profile in Chrome DevTools.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from '@nest-jetstream/testing';
import { countedDrain, fill, progress, run, type Measure } from './lib.js';
import { ACK_PENDING, drainThroughNest, type DrainHandler } from './nest-drain.js';

const which = process.argv[2] ?? 'defaults';
const out = process.argv[3] ?? `drain-${which}.cpuprofile`;

function post<T>(session: Session, method: string): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, (err, res) => (err ? reject(err) : resolve(res as T))));
}

async function main(): Promise<void> {
  const server = await NatsServer.start();
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'DRAIN', subjects: ['bench.drain'] });
  const enhanced = process.env.BENCH_ENHANCERS === 'nest' ? { directCalls: false } : {};
  const drain = async (): Promise<Measure> => {
    if (which === 'raw' || which === 'rawDefaults') {
      const tuned = which === 'raw';
      await jsm.consumers.add('DRAIN', {
        durable_name: which,
        ack_policy: AckPolicy.Explicit,
        filter_subject: 'bench.drain',
        ...(tuned ? { max_ack_pending: ACK_PENDING } : {}),
      });
      const consumer = await js.consumers.get('DRAIN', which);
      const m = await countedDrain((callback) => consumer.consume(tuned ? { max_messages: 1000, callback } : { callback }), true);
      await jsm.consumers.delete('DRAIN', which);
      return m;
    }
    return drainThroughNest(server.url, jsm, which === 'tuned' || which === 'defaults' ? {} : enhanced, which as DrainHandler);
  };
  await fill(nc, jsm);
  await drain(); // warm-up, unprofiled
  await fill(nc, jsm);
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.start');
  const m = await drain();
  const { profile } = await post<{ profile: object }>(session, 'Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
  session.disconnect();
  progress(`${which}: ${m.rate.toFixed(0)} msgs/s, ${m.cpuUs.toFixed(1)} CPU µs/msg; profile in ${out}`);
  await nc.close();
  await server.stop();
}

run(main);
