// What every consumer-process fixture does once its module is declared: start it as a microservice
// on a JetStreamServer pointed at NATS_URL, and print `{"event":"ready"}` once it listens.
import { NestFactory } from '@nestjs/core';
import type { Type } from '@nestjs/common';
import { JetStreamServer } from '../server/jetstream.server.js';

/** Prints one JSON line (what the spec driving the process reads). */
export function say(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

/** Serves `module` with its own `serviceName`, then says `ready`. */
export async function serveFixture(module: Type<unknown>, serviceName: string): Promise<void> {
  const strategy = new JetStreamServer({ connection: { servers: process.env.NATS_URL }, serviceName });
  const app = await NestFactory.createMicroservice(module, { strategy, logger: false });
  await app.listen();
  say('ready');
}
