import type { NatsConnection } from '@nats-io/nats-core';
import type { JetStreamServer } from '@nest-jetstream/transport';

/**
 * What both services' `GET /health` checks: the JetStream server is listening with its
 * consumers bound, and every other connection given has connected. Throws saying which is not.
 */
export function natsReadiness(server: JetStreamServer, connections: { unwrap<T>(): T }[]): { status: 'ok'; consumers: string[] } {
  const consumers = server.bindings.map((b) => `${b.stream}/${b.durable}`);
  if (server.unwrap<NatsConnection>().isClosed() || consumers.length === 0) throw new Error('JetStream server not listening');
  for (const c of connections) c.unwrap<NatsConnection>();
  return { status: 'ok', consumers };
}
