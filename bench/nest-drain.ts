// Our drain: a trivial @JetStreamEvent handler in a Nest microservice, timed from the first message
// handled to the last. Shared by the benches.
import type { JetStreamManager } from '@nats-io/jetstream';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { JetStreamEvent, JetStreamServer, RawCodec, type JetStreamServerOptions } from '@nest-jetstream/transport';
import { measured, N, type Measure } from './lib.js';

/** The same max_ack_pending as the raw drain's consumer. */
export const ACK_PENDING = Number(process.env.BENCH_ACK_PENDING ?? 10_000);

let drained = 0;
let firstAt = 0;
let firstCpu: NodeJS.CpuUsage | undefined;
let onDrained: (() => void) | undefined;

@Controller()
class BenchController {
  // prefetch 1000: the raw drain's max_messages, so both buffer alike (BENCH_PREFETCH to change; the default is 2 × concurrency).
  @JetStreamEvent('bench.drain', { durable: 'ours', concurrency: 100, maxAckPending: ACK_PENDING, prefetch: Number(process.env.BENCH_PREFETCH ?? 1000) })
  handle(@Payload() _data: Uint8Array) {
    if (drained === 0) {
      firstAt = performance.now();
      firstCpu = process.cpuUsage();
    }
    if (++drained === N) onDrained?.();
  }
}

@Module({ controllers: [BenchController] })
class BenchModule {}

/** The same trivial handler with every option left at its default (what users keep). */
@Controller()
class DefaultsController {
  @JetStreamEvent('bench.drain', { durable: 'ours_defaults' })
  handle(@Payload() _data: Uint8Array) {
    if (drained === 0) {
      firstAt = performance.now();
      firstCpu = process.cpuUsage();
    }
    if (++drained === N) onDrained?.();
  }
}

@Module({ controllers: [DefaultsController] })
class DefaultsModule {}

/** Drains the DRAIN stream's N messages through a fresh app with `options`, then deletes its consumer; `defaults`: the handler with default options. */
export async function drainThroughNest(url: string, jsm: JetStreamManager, options: JetStreamServerOptions = {}, defaults = false): Promise<Measure> {
  drained = 0;
  const done = new Promise<void>((resolve) => (onDrained = resolve));
  const strategy = new JetStreamServer({ connection: { servers: url }, serviceName: 'bench', codec: new RawCodec(), ...options });
  const app = await NestFactory.createMicroservice(defaults ? DefaultsModule : BenchModule, { strategy, logger: ['error'] });
  await app.listen();
  await done;
  const result = measured(N, performance.now() - firstAt, firstCpu ?? process.cpuUsage());
  await app.close();
  await jsm.consumers.delete('DRAIN', defaults ? 'ours_defaults' : 'ours');
  return result;
}
