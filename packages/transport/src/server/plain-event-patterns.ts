import type { AppView } from './app-view.js';

/** What `listen()` does about plain `@EventPattern` handlers it does not bind. */
export type PlainEventVerdict = { level: 'error' | 'warn' | 'debug'; message: string };

/**
 * A plain `@EventPattern` reaches every server of the app; this one binds only `@JetStreamEvent`
 * (unless `bindPlainEventPatterns`). In an app where no other server can take it, it would never
 * run: refused. Another server in the app takes it: said at debug level. The app unknown (no
 * `JetStreamModule`): a warning, since the library cannot tell.
 */
export function plainEventVerdict(patterns: readonly unknown[], app: AppView | undefined): PlainEventVerdict | undefined {
  if (patterns.length === 0) return undefined;
  const named = app?.plainEventHandlers() ?? [];
  const list = (
    named.length > 0
      ? named.map((h) => `${h.handler} (@EventPattern(${describePattern(h.pattern)}))`)
      : patterns.map((p) => `@EventPattern(${describePattern(p)})`)
  ).join(', ');
  const fix = `Use @JetStreamEvent(subject) instead (a durable consumer with retries), or set bindPlainEventPatterns: true to bind plain @EventPattern handlers with the consumer defaults; a handler meant for another transport is bound to it (@EventPattern(subject, Transport.NATS)) and that server connected to the app.`;
  if (!app) {
    return {
      level: 'warn',
      message: `JetStreamServer does not bind plain @EventPattern handlers: ${list}. It cannot tell whether another microservice of this app takes them (it learns the app's servers through JetStreamModule); if none does, they never run. ${fix}`,
    };
  }
  const others = app.otherServers();
  if (others.length > 0) return { level: 'debug', message: `Plain @EventPattern handlers left to the app's other server(s) (${others.join(', ')}): ${list}` };
  return {
    level: 'error',
    message: `JetStreamServer is the only microservice server of this app and does not bind plain @EventPattern handlers, so these would never run: ${list}. ${fix}`,
  };
}

/** A pattern as the user wrote it: `'orders.created'`, or the JSON of an object pattern. */
function describePattern(pattern: unknown): string {
  return typeof pattern === 'string' ? `'${pattern}'` : JSON.stringify(pattern);
}
