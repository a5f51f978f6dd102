// Our drain: a trivial @JetStreamEvent handler in a Nest microservice, timed from the first message
// handled to the last. Shared by the benches.
import type { JetStreamManager } from '@nats-io/jetstream';
import {
  Controller,
  Injectable,
  Module,
  UseGuards,
  UseInterceptors,
  UsePipes,
  type CallHandler,
  type CanActivate,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import { JetStreamEvent, JetStreamServer, RawCodec, type JetStreamServerOptions } from '@nest-jetstream/transport';
import { measured, N, type Measure } from './lib.js';

/** The same max_ack_pending as the raw drain's consumer. */
export const ACK_PENDING = Number(process.env.BENCH_ACK_PENDING ?? 10_000);

let drained = 0;
let firstAt = 0;
let firstCpu: NodeJS.CpuUsage | undefined;
let onDrained: (() => void) | undefined;

function count(n = 1): void {
  if (drained === 0) {
    firstAt = performance.now();
    firstCpu = process.cpuUsage();
  }
  drained += n;
  if (drained === N) onDrained?.();
}

// prefetch 1000: the raw drain's max_messages, so both buffer alike (BENCH_PREFETCH to change).
const tuned = { concurrency: 100, maxAckPending: ACK_PENDING, prefetch: Number(process.env.BENCH_PREFETCH ?? 1000) };

@Controller()
class BenchController {
  @JetStreamEvent('bench.drain', { durable: 'ours', ...tuned })
  handle(@Payload() _data: Uint8Array) {
    count();
  }
}

/** The same trivial handler with every option left at its default (what users keep); BENCH_DEFAULTS_MAX_ACK_PENDING sets that one option (bench/RESULTS.md, #24). */
@Controller()
class DefaultsController {
  @JetStreamEvent('bench.drain', {
    durable: 'ours_defaults',
    ...(process.env.BENCH_DEFAULTS_MAX_ACK_PENDING ? { maxAckPending: Number(process.env.BENCH_DEFAULTS_MAX_ACK_PENDING) } : {}),
  })
  handle(@Payload() _data: Uint8Array) {
    count();
  }
}

/** The enhancers of the pipeline variants: each lets everything through, so only Nest's path around them is measured. */
@Injectable()
class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class SamePipe implements PipeTransform {
  transform(value: unknown): unknown {
    return value;
  }
}

@Injectable()
class PassInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Controller()
class GuardController {
  @UseGuards(AllowGuard)
  @JetStreamEvent('bench.drain', { durable: 'ours_guard', ...tuned })
  handle(@Payload() _data: Uint8Array) {
    count();
  }
}

@Controller()
class PipeController {
  @UsePipes(SamePipe)
  @JetStreamEvent('bench.drain', { durable: 'ours_pipe', ...tuned })
  handle(@Payload() _data: Uint8Array) {
    count();
  }
}

@Controller()
class InterceptorController {
  @UseInterceptors(PassInterceptor)
  @JetStreamEvent('bench.drain', { durable: 'ours_interceptor', ...tuned })
  handle(@Payload() _data: Uint8Array) {
    count();
  }
}

/** The trivial handler as a batch handler (docs/batch-handlers.md): BENCH_BATCH_SIZE messages a call (default 100). */
@Controller()
class BatchController {
  @JetStreamEvent('bench.drain', {
    durable: 'ours_batch',
    maxAckPending: ACK_PENDING,
    batch: { size: Number(process.env.BENCH_BATCH_SIZE ?? 100), maxWait: '100ms' },
  })
  handle(@Payload() items: Uint8Array[]) {
    count(items.length);
  }
}

/** Which handler a drain runs: the tuned trivial one, the one with defaults, or the tuned one behind one no-op guard, pipe or interceptor. */
export type DrainHandler = 'tuned' | 'defaults' | 'guard' | 'pipe' | 'interceptor' | 'batch';

const HANDLERS: Record<DrainHandler, { controller: new () => object; durable: string }> = {
  tuned: { controller: BenchController, durable: 'ours' },
  defaults: { controller: DefaultsController, durable: 'ours_defaults' },
  guard: { controller: GuardController, durable: 'ours_guard' },
  pipe: { controller: PipeController, durable: 'ours_pipe' },
  interceptor: { controller: InterceptorController, durable: 'ours_interceptor' },
  batch: { controller: BatchController, durable: 'ours_batch' },
};

/** Drains the DRAIN stream's N messages through a fresh app with `options` and `handler`, then deletes its consumer. */
export async function drainThroughNest(
  url: string,
  jsm: JetStreamManager,
  options: JetStreamServerOptions = {},
  handler: DrainHandler = 'tuned',
): Promise<Measure> {
  drained = 0;
  const done = new Promise<void>((resolve) => (onDrained = resolve));
  const { controller, durable } = HANDLERS[handler];
  @Module({ controllers: [controller] })
  class DrainModule {}
  const strategy = new JetStreamServer({ connection: { servers: url }, serviceName: 'bench', codec: new RawCodec(), ...options });
  const app = await NestFactory.createMicroservice(DrainModule, { strategy, logger: ['error'] });
  await app.listen();
  await done;
  const result = measured(N, performance.now() - firstAt, firstCpu ?? process.cpuUsage());
  await app.close();
  await jsm.consumers.delete('DRAIN', durable);
  return result;
}
