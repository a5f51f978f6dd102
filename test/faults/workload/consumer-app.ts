// The fault suite's consumer: a Nest microservice with one @JetStreamEvent handler that appends
// "<id> <delivery> <ms> <stored ms>" to FAULT_RECORD for every call (stored: the stream's timestamp), synchronously, before doing its work, so
// a SIGKILL loses no record of a call that started. Payloads are { id, poison? }: a poison
// message fails every attempt and is dead-lettered. Configured by the environment (see workload.ts);
// FAULT_HEALTH=1 also serves the liveness report on an HTTP port (the ready line's), and
// GET /debug/memory: the heap after garbage collection and the active resources (the leak check).
import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Module, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext, JetStreamEvent, JetStreamServer, parseDuration } from '@nest-jetstream/transport';
import { takeMemorySnapshot } from './memory-snapshot';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`consumer-app: ${name} is not set`);
  return v;
};
const record = env('FAULT_RECORD');
// FAULT_PLACEMENT=<cluster>: the streams placed in that cluster of a super-cluster.
const placedIn = (name: string) => (process.env[name] ? { placement: { cluster: process.env[name] } } : {});
const workMs = Number(env('FAULT_WORK_MS', '1'));

@Controller()
class FaultController {
  @JetStreamEvent('faults.work', {
    concurrency: Number(env('FAULT_CONCURRENCY', '8')),
    maxDeliver: Number(env('FAULT_MAX_DELIVER', '3')),
    backoff: ['100ms'],
    ackWait: parseDuration(env('FAULT_ACK_WAIT', '5s'), 'FAULT_ACK_WAIT'),
    deadLetter: 'faults-dead.{subject}',
  })
  async handle(@Payload() data: { id: string; poison?: boolean }, @Ctx() ctx: JetStreamContext): Promise<void> {
    const info = ctx.getInfo();
    appendFileSync(record, `${data.id} ${info.deliveryCount} ${Date.now()} ${info.timestamp.getTime()}\n`);
    if (workMs > 0) await new Promise((r) => setTimeout(r, workMs));
    if (data.poison) throw new Error(`poison message ${data.id}`);
  }
}

/** Nest calls this after the transport closed (handlers finished, connection drained). */
class StoppedLine implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    process.stdout.write(`${JSON.stringify({ event: 'stopped' })}\n`);
  }
}

@Module({ controllers: [FaultController], providers: [StoppedLine] })
class FaultModule {}

/** A logger that appends "<ms> <level> <message>" for every level (the trace of a fault's recovery). */
function traceLogger(file: string): LoggerService {
  const write = (level: string) => (message: unknown) => appendFileSync(file, `${Date.now()} ${level} ${String(message)}\n`);
  return { log: write('log'), error: write('error'), warn: write('warn'), debug: write('debug'), verbose: write('verbose') };
}

async function main(): Promise<void> {
  const strategy = new JetStreamServer({
    // FAULT_NO_RANDOMIZE=1: connect to the first URL first (the partition scenario puts the app on a chosen side).
    connection: {
      servers: env('NATS_URLS').split(','),
      maxReconnectAttempts: -1,
      noRandomize: env('FAULT_NO_RANDOMIZE', '0') === '1',
      user: process.env.NATS_USER,
      pass: process.env.NATS_PASS,
    },
    serviceName: 'faults',
    streams: [
      { name: env('FAULT_STREAM', 'FAULTS'), subjects: ['faults.work'], replicas: Number(env('FAULT_REPLICAS', '1')), ...placedIn('FAULT_PLACEMENT') },
      { name: 'FAULTS_DEAD', subjects: ['faults-dead.>'], replicas: Number(env('FAULT_REPLICAS', '1')), ...placedIn('FAULT_PLACEMENT') },
      // FAULT_MIRROR_PLACEMENT=<cluster>: a mirror of the work stream placed there (the super-cluster scenario).
      ...(process.env.FAULT_MIRROR_PLACEMENT
        ? [
            {
              name: `${env('FAULT_STREAM', 'FAULTS')}_MIRROR`,
              subjects: [],
              mirror: { name: env('FAULT_STREAM', 'FAULTS') },
              replicas: Number(env('FAULT_REPLICAS', '1')),
              ...placedIn('FAULT_MIRROR_PLACEMENT'),
            },
          ]
        : []),
    ],
    shutdownTimeout: '10s',
  });
  // Every recovery (a pull re-issued, a consumer put back, the connection moved), for the report's notes.
  strategy.on('recovery', (e) => appendFileSync(`${record}.recoveries`, `${e.cause} ${Date.now()}\n`));
  // FAULT_TRACE=1: every log line (debug included) with its time in ms, to <record>.trace (the recovery timeline).
  const trace = env('FAULT_TRACE', '0') === '1' ? traceLogger(`${record}.trace`) : undefined;
  const app = await NestFactory.createMicroservice(FaultModule, { strategy, logger: trace ?? ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen();
  // FAULT_HEALTH=1: GET /live answers the transport's liveness report (the hostile-input scenario probes it under load).
  let port = 0;
  if (env('FAULT_HEALTH', '0') === '1') {
    const http = createServer((req, res) => {
      if (req.url === '/debug/memory') {
        // The probes' idle keep-alive sockets are not the app's: closed first, and this one after the answer.
        http.closeIdleConnections();
        setImmediate(() => res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(takeMemorySnapshot())));
        return;
      }
      strategy.health.liveness().then(
        (report) => res.writeHead(report.status === 'up' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report)),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    http.unref();
    port = (http.address() as AddressInfo).port;
  }
  process.stdout.write(`${JSON.stringify({ event: 'ready', service: 'faults', port })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`consumer-app failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
