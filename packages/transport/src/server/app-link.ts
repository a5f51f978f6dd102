import type { AppView } from './app-view.js';

/**
 * The key under which a `JetStreamServer` hands `JetStreamModule` its link to the app. A
 * `Symbol.for` key is the same symbol in every copy of the library an app may load, so the
 * watcher of one copy finds the servers of another; it keeps the link off the public API.
 */
export const APP_LINK: unique symbol = Symbol.for('@nest-jetstream/transport:app-link') as never;

/** What `JetStreamModule`'s watcher uses of a JetStream server. */
export interface AppLink {
  /** Gives the server the app, as the module sees it. */
  useApp(app: AppView): void;
  /** Whether `listen()` was called (the app started the server). */
  listenStarted(): boolean;
}

/** The app link of `target` when it is a JetStream server (of any copy of the library), else undefined. */
export function appLinkOf(target: unknown): AppLink | undefined {
  if (typeof target !== 'object' || target === null) return undefined;
  const link = (target as { [APP_LINK]?: unknown })[APP_LINK];
  if (typeof link !== 'object' || link === null) return undefined;
  const { useApp, listenStarted } = link as Partial<AppLink>;
  return typeof useApp === 'function' && typeof listenStarted === 'function' ? (link as AppLink) : undefined;
}
