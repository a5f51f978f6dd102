import { DeadLetterHeaders } from '../../constants.js';
import type { AsyncApiMessage } from './asyncapi-types.js';

/** The component name of the dead-letter message. */
export const DEAD_LETTER_MESSAGE = 'DeadLetter';

/** What each dead-letter header holds (docs/dead-letters.md): the contract a dead-letter reader relies on. */
const HEADER_MEANINGS: Record<keyof typeof DeadLetterHeaders, { description: string; type?: 'integer'; format?: string }> = {
  Subject: { description: 'The subject the original was published to.' },
  Stream: { description: 'The stream the original was stored in.' },
  Sequence: { description: "The original's stream sequence.", type: 'integer' },
  Consumer: { description: 'The consumer (durable) whose handler failed it.' },
  Deliveries: { description: 'Deliveries of the original when it was dead-lettered.', type: 'integer' },
  Reason: {
    description: "Why: `ErrorName: message` (a validation's failing fields included), one line, at most 1024 characters, credentials redacted.",
  },
  Stack: { description: 'The stack of the error that failed it, line breaks written \\n, at most 2048 characters.' },
  Time: { description: 'When it was dead-lettered (ISO 8601).', format: 'date-time' },
  MsgId: { description: "The original's Nats-Msg-Id, moved so the dead-letter stream's deduplication cannot drop it." },
  Altered: { description: "Names (space-separated) of the original's headers whose values were cut or had control characters replaced." },
  HeadersUnreadable: { description: "Why the original's headers could not be read; none were copied." },
  Trimmed: { description: "Set when the dead letter was resent smaller for the server's max_payload: what was left out or cut." },
};

/** The dead-letter message: the original's payload as it was, and the `Dead-Letter-*` headers. */
export function deadLetterMessage(): AsyncApiMessage {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const [key, header] of Object.entries(DeadLetterHeaders) as [keyof typeof DeadLetterHeaders, string][]) {
    const { type, ...meaning } = HEADER_MEANINGS[key];
    // NATS headers are text: a number is its decimal digits.
    properties[header] = { type: 'string', ...meaning, ...(type === 'integer' && { pattern: '^[0-9]+$' }) };
  }
  return {
    name: DEAD_LETTER_MESSAGE,
    title: 'Dead letter',
    summary: 'A message its handler failed for good, with why and where it came from.',
    description:
      "The original's payload, byte for byte, with its headers, plus the Dead-Letter-* headers below. Read it with readDeadLetter(ctx.getHeaders()); redrive it with nest-jetstream dead-letters redrive.",
    headers: {
      type: 'object',
      properties,
      required: [
        DeadLetterHeaders.Subject,
        DeadLetterHeaders.Stream,
        DeadLetterHeaders.Sequence,
        DeadLetterHeaders.Deliveries,
        DeadLetterHeaders.Reason,
        DeadLetterHeaders.Time,
      ],
    },
    payload: { description: "The original's payload, as it was published (its codec's bytes)." },
  };
}
