/**
 * The delivery count from a JetStream ack subject, without `JsMsg.info`'s full parse
 * (a split into a dozen strings per message, on the hot path):
 *   $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>                   (9 tokens)
 *   $JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>.<r> (11+ tokens)
 * Stream and consumer names cannot contain dots, so positions are fixed. Returns NaN when the
 * subject is not an ack subject.
 */
export function deliveryCountOf(reply: string): number {
  if (!reply.startsWith('$JS.ACK.')) return NaN;
  // Dots 4 to 7 (counting from 1) bound token 4 (old form) and token 6 (new form).
  let dots = 0;
  let d4 = -1;
  let d5 = -1;
  let d6 = -1;
  let d7 = -1;
  for (let i = reply.indexOf('.'); i !== -1; i = reply.indexOf('.', i + 1)) {
    dots++;
    if (dots === 4) d4 = i;
    else if (dots === 5) d5 = i;
    else if (dots === 6) d6 = i;
    else if (dots === 7) d7 = i;
  }
  if (dots === 8) return parseInt(reply.slice(d4 + 1, d5), 10);
  if (dots >= 10) return parseInt(reply.slice(d6 + 1, d7), 10);
  return NaN;
}
