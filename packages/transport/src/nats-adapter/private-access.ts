/**
 * The one file that reads members of nats.js objects that `@nats-io/jetstream`'s public types do
 * not declare. Each access has no public equivalent at the speed or with the guarantee we need;
 * `private-access.integration.spec.ts` pins every one against the installed nats.js and a real
 * nats-server, so the first nats.js release that changes one fails that spec, not production.
 *
 * Upstream note (what public API would let this file go):
 * - `JsMsg.reply` (the ack subject): `JsMsg` declares only `info`, whose parse splits the subject
 *   into a dozen strings on every message (several times the cost of reading one token). A
 *   `JsMsg.deliveryCount` getter, or a lazy `info`, would do.
 * - `ConsumerMessages.pull` (the refill of a `consume()`): `consume()` tops its request up as
 *   soon as messages arrive, whether or not the app has started them, so what a process holds
 *   is bounded only by `max_ack_pending`. `threshold_messages` says when, not whether. A
 *   `consume()` option that asks before each refill (for instance `refill?: (batch) => number`)
 *   or `pause()`/`resume()` on `ConsumerMessages` would do; so would `callback` on `fetch()`
 *   (its iterator costs about half the drain rate, see JETSTREAM-FACTS).
 * - `ConsumerMessages.sub` (the pull subscription): `close()` unsubscribes, dropping messages the
 *   server already sent, which then wait out `ackWait`. A `close({ drain: true })` would do.
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/nats-core';
import { deliveryCountOf } from '../utils/delivery-count.js';

/** The pull request the client sends (`PullOptions` on the wire); only `batch` is read here. */
export interface PullRequest {
  readonly batch: number;
}

/** Sends `request` now with `batch` (≥ 1). One per `consume()`, made once: it may be kept to send a held-back pull later. */
export type PullSender = (request: PullRequest, batch: number) => void;

/** What a pull goes through: `send(request, batch)` sends it; not calling it sends nothing. */
export type PullInterceptor = (request: PullRequest, send: PullSender) => void;

type WithReply = JsMsg & { readonly reply?: string };
type WithPull = ConsumerMessages & { pull?: (opts: PullRequest) => void };
type WithSub = ConsumerMessages & { readonly sub?: Subscription };

/** The message's delivery count (1 on the first delivery), from its ack subject, without parsing all of `info`. */
export function deliveryAttempt(msg: JsMsg): number {
  const fast = deliveryCountOf((msg as WithReply).reply ?? '');
  return Number.isNaN(fast) ? msg.info.deliveryCount : fast;
}

/**
 * Routes every pull request of a `consume()` through `intercept`. The client counts what it
 * requested only when the pull is sent, with the batch that was sent, so a pull held back or made
 * smaller leaves its accounting right: it asks again when the next message (or a 408 for an
 * expired pull) arrives. Returns false when this nats.js has no such member (nothing is routed).
 */
export function interceptPulls(messages: ConsumerMessages, intercept: PullInterceptor): boolean {
  const client = messages as WithPull;
  if (typeof client.pull !== 'function') return false;
  const pull = client.pull.bind(client);
  // Made once, not per pull: the client offers a pull after every message.
  const send: PullSender = (opts, batch) => pull({ ...opts, batch });
  client.pull = (opts: PullRequest) => intercept(opts, send);
  return true;
}

/**
 * Drains the pull subscription, so messages the server sent before it saw the unsubscribe still
 * reach the callback (and can be naked at once) instead of waiting out ackWait. Returns false
 * when there was no open subscription to drain.
 */
export async function drainPulls(messages: ConsumerMessages): Promise<boolean> {
  const sub = (messages as WithSub).sub;
  if (!sub || sub.isClosed() || sub.isDraining()) return false;
  await sub.drain().catch(() => undefined);
  return true;
}
