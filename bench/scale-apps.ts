// The Nest applications the cost curves start: N handlers over S streams built at run time, and
// one handler whose work and count are set per phase.
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { JetStreamEvent, JetStreamServer, RawCodec, type JetStreamEventOptions, type JetStreamServerOptions } from '@nest-jetstream/transport';

/** The subject handler `i` of `handlers` listens on, spread over `streams` streams `SCALE_<j>` capturing `scale.<j>.>`. */
export const handlerSubject = (i: number, streams: number) => `scale.${i % streams}.h${i}`;
export const streamName = (j: number) => `SCALE_${j}`;

/** A module with `handlers` trivial `@JetStreamEvent` handlers, each on its own subject (and so its own durable). */
export function manyHandlersModule(handlers: number, streams: number, options: JetStreamEventOptions = {}): Type<unknown> {
  class ManyHandlers {}
  for (let i = 0; i < handlers; i++) {
    const key = `h${i}`;
    Object.defineProperty(ManyHandlers.prototype, key, { value: () => undefined, writable: true, configurable: true });
    const descriptor = Object.getOwnPropertyDescriptor(ManyHandlers.prototype, key) as PropertyDescriptor;
    JetStreamEvent(handlerSubject(i, streams), options)(ManyHandlers.prototype, key, descriptor);
  }
  Controller()(ManyHandlers);
  class ManyHandlersModule {}
  Module({ controllers: [ManyHandlers] })(ManyHandlersModule);
  return ManyHandlersModule;
}

/** What the one handler of `WorkModule` does per message; set before each phase. */
export const work = {
  /** Awaited per message (ms); 0 returns at once. */
  handlerMs: 0,
  /** Called with each payload. */
  seen: (_data: Uint8Array): void => undefined,
};

const WORK_SUBJECT = 'scale.work';
/** Where `WorkModule` listens: a stream must capture it. */
export const workSubject = WORK_SUBJECT;

/** One handler on `scale.work`: `concurrency` from SCALE_CONCURRENCY (100 unless set), durable `scale_work`. */
export function workModule(concurrency: number): Type<unknown> {
  @Controller()
  class WorkController {
    @JetStreamEvent(WORK_SUBJECT, { durable: 'scale_work', concurrency })
    async handle(@Payload() data: Uint8Array) {
      if (work.handlerMs > 0) await new Promise((r) => setTimeout(r, work.handlerMs));
      work.seen(data);
    }
  }
  @Module({ controllers: [WorkController] })
  class WorkModule {}
  return WorkModule;
}

/** Starts `module` on our transport against `url`; raw payloads. */
export async function startOurs(url: string, module: Type<unknown>, options: JetStreamServerOptions = {}): Promise<INestMicroservice> {
  const strategy = new JetStreamServer({ connection: { servers: url }, serviceName: 'scale', codec: new RawCodec(), ...options });
  const app = await NestFactory.createMicroservice(module, { strategy, logger: ['error'] });
  await app.listen();
  return app;
}
