// The baseline a Nest microservice costs without us: an empty module on a custom transport that
// does nothing. Imports Nest only, so a process that loads it holds none of our code or nats.js.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';

@Module({})
export class EmptyModule {}

/** A custom transport that does nothing. */
export class NoopTransport extends Server implements CustomTransportStrategy {
  listen(callback: () => void): void {
    callback();
  }
  close(): void {
    return undefined;
  }
  on(): void {
    return undefined;
  }
  unwrap<T>(): T {
    throw new Error('NoopTransport has nothing to unwrap');
  }
}
