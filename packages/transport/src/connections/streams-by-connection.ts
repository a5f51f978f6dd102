import { DEFAULT_CONNECTION_NAME } from './connection-errors.js';

/** Whether a declared stream or a handler names the default connection (no `connection`, or `'default'`). */
export function onDefaultConnection(connection: string | undefined): boolean {
  return connection === undefined || connection === DEFAULT_CONNECTION_NAME;
}

/** The declared streams provisioned through connection `name`: a stream is its connection's only, never the others'. */
export function streamsOn<S extends { readonly connection?: string }>(streams: readonly S[] | undefined, name: string): S[] {
  const onDefault = name === DEFAULT_CONNECTION_NAME;
  return (streams ?? []).filter((s) => (onDefault ? onDefaultConnection(s.connection) : s.connection === name));
}
