// A BatchRunner on a fake consumer, for its unit specs: messages delivered by hand, settles recorded.
import type { HandlerBinding } from '../bindings/handler-binding.js';
import { BatchRunner } from '../consuming/batch/batch-runner.js';
import type { JetStreamBatchContext } from '../consuming/batch/jetstream-batch.context.js';
import { FakeConsumer } from './fake-consumer.js';
import { fakeJsMsg, type FakeJsMsg, type FakeJsMsgOptions } from './fake-js-msg.js';
import { FakeRunnerHost, fakeBinding } from './fake-runner-host.js';

export type BatchHandler = (items: unknown[], ctx: JetStreamBatchContext) => unknown;

/**
 * Starts a batch runner for `handler` (maxAckPending 10 unless overridden); `setup` changes the
 * host before the runner is made (processing hooks, an observer). `deliver` hands it the next
 * message (stream sequences 1, 2, …, payload `{ n: seq }`); `close` stops it (shutdownTimeout 0).
 */
export async function startBatchRunner(
  overrides: Partial<HandlerBinding>,
  handler: BatchHandler,
  batch: { size: number; maxWaitMs: number },
  setup: (host: FakeRunnerHost) => void = () => undefined,
) {
  const consumer = new FakeConsumer();
  const host = new FakeRunnerHost(consumer);
  setup(host);
  const runner = new BatchRunner(fakeBinding({ maxAckPending: 10, ...overrides, batch, handler: handler as unknown as HandlerBinding['handler'] }), host);
  await runner.start();
  let seq = 0;
  const deliver = (options: FakeJsMsgOptions = {}): FakeJsMsg => {
    const msg = fakeJsMsg({ streamSequence: ++seq, data: { n: seq }, ...options });
    consumer.messages.deliver(msg);
    return msg;
  };
  return { runner, host, consumer, deliver, close: () => runner.close(0) };
}
