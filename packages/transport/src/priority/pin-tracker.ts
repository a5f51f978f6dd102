import type { PinState } from '../interfaces/priority-options.interface.js';

/**
 * A singleton handler's side of the pin: the client reports `consumer_pinned` with the first
 * message of a pin and `consumer_unpinned` when the server moved it (status 423); a new
 * `consume()` (after a heal) starts without one.
 */
export class PinTracker {
  private current: PinState = { held: false };

  /** The client says the pin is `id` (held) or gone (`undefined`). */
  set(id: string | undefined): void {
    if (id === undefined ? !this.current.held : this.current.pinId === id) return;
    this.current = id === undefined ? { held: false, since: Date.now() } : { held: true, pinId: id, since: Date.now() };
  }

  get state(): PinState {
    return this.current;
  }
}

/** The pin of a consumer's group as the server reports it (2.11+ `priority_groups` in the consumer info, not typed by the client). */
export function serverPin(info: object): { pinnedClientId?: string; pinnedAt?: string } {
  const groups = (info as { priority_groups?: { pinned_client_id?: string; pinned_ts?: string }[] }).priority_groups;
  const group = Array.isArray(groups) ? groups[0] : undefined;
  return { pinnedClientId: group?.pinned_client_id || undefined, pinnedAt: group?.pinned_ts || undefined };
}

/** What readiness says of a singleton handler's pin: held by this instance, by another, or by none. */
export function pinDetails(pin: PinState, info: object): { holder: 'this instance' | 'another instance' | 'none'; pinId?: string; since?: string } {
  const server = serverPin(info);
  if (pin.held && (server.pinnedClientId === undefined || server.pinnedClientId === pin.pinId)) {
    return { holder: 'this instance', pinId: pin.pinId, since: server.pinnedAt };
  }
  return server.pinnedClientId ? { holder: 'another instance', pinId: server.pinnedClientId, since: server.pinnedAt } : { holder: 'none' };
}
