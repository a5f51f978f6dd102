/**
 * The delivery count from a JetStream ack subject, without `JsMsg.info`'s full parse
 * (a split into a dozen strings per message, on the hot path):
 *   $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>                   (9 tokens)
 *   $JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>.<r> (11+ tokens)
 * Stream and consumer names cannot contain dots, so positions are fixed. Returns NaN when the
 * subject is not an ack subject.
 */
export function deliveryCountOf(reply: string): number {
  const starts: number[] = [0];
  for (let i = reply.indexOf('.'); i !== -1; i = reply.indexOf('.', i + 1)) starts.push(i + 1);
  const tokens = starts.length;
  const index = tokens === 9 ? 4 : tokens >= 11 ? 6 : -1;
  if (index < 0 || !reply.startsWith('$JS.ACK.')) return NaN;
  return parseInt(reply.slice(starts[index], starts[index + 1] - 1), 10);
}
