import type { NatsConnection } from '@nats-io/nats-core';
import type { LoggerService } from '@nestjs/common';
import type { Subject } from 'rxjs';
import { ConnectionLog } from './connection-log.js';
import { JetStreamConnectionError } from '../errors/jetstream-transport.error.js';
import { redactErrorChain, redactSecrets } from '../security/redact.js';

/** Connection states the server and the client report through `status`. */
export type JetStreamStatus = 'connected' | 'disconnected' | 'reconnecting' | 'closed';

/** The connection events both the server and the client offer through `on()`. */
export type ConnectionEvents = {
  error: (error: Error) => void;
  disconnect: (server: string) => void;
  reconnect: (server: string) => void;
  /** The connection closed by itself and will not reconnect (not emitted for `close()`): why, as a `JetStreamConnectionError`. */
  closed: (error: JetStreamConnectionError) => void;
};

type Callback = (...args: never[]) => void;

/** `on()` listeners of a server or client; a listener that throws is reported, not propagated. */
export class EventListeners<Events extends Record<keyof Events, Callback>> {
  private readonly listeners = new Map<keyof Events, Set<Callback>>();

  constructor(private readonly onListenerError: (event: string, err: unknown) => void) {}

  add<K extends keyof Events>(event: K, callback: Events[K]): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(callback);
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const cb of this.listeners.get(event) ?? []) {
      try {
        (cb as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (err) {
        this.onListenerError(String(event), err);
      }
    }
  }
}

/**
 * Mirrors the connection's status into `status$` and the `disconnect`/`reconnect`/`error` events
 * until it closes, and logs each transition once (`ConnectionLog`); a close nobody asked for
 * (`closing()` false: reconnect attempts ran out, the credentials expired) becomes status
 * `'closed'`, a `closed` event and an error line that say why. What it passes on (server names,
 * errors and their causes) goes through `redact` first.
 */
export async function watchConnection(
  nc: NatsConnection,
  status$: Subject<JetStreamStatus>,
  events: EventListeners<ConnectionEvents>,
  who: string,
  closing: () => boolean,
  logger: LoggerService,
  redact: (text: string) => string = redactSecrets,
): Promise<void> {
  const log = new ConnectionLog(logger);
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
        if (!closing()) log.disconnected(s.server);
        status$.next('disconnected');
        events.emit('disconnect', redact(s.server));
        break;
      case 'reconnecting':
        if (!closing()) log.reconnecting();
        status$.next('reconnecting');
        break;
      case 'reconnect':
        log.reconnected(s.server);
        status$.next('connected');
        events.emit('reconnect', redact(s.server));
        break;
      case 'error':
        events.emit('error', redactErrorChain(s.error, redact));
        break;
    }
  }
  if (closing()) return;
  const reason = redactErrorChain(await nc.closed(), redact);
  const error = new JetStreamConnectionError(
    `${who}'s NATS connection closed and will not reconnect${reason ? `: ${reason.message}` : ''}. Nothing is consumed or published until the service restarts; connection.maxReconnectAttempts (default -1: for as long as it runs) bounds reconnecting.`,
    { cause: reason ?? undefined },
  );
  logger.error(error.message);
  status$.next('closed');
  events.emit('closed', error);
}
