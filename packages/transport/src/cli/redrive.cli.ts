#!/usr/bin/env node
// nest-jetstream-redrive: republish dead letters to their original subjects.
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { redriveDeadLetters } from '../dead-letter/redrive.js';

const USAGE = `Usage: nest-jetstream-redrive --stream DEAD_LETTERS [options]

  --servers nats://host:4222   NATS servers, comma-separated (default nats://127.0.0.1:4222, or NATS_URL)
  --user U --pass P            user and password (or NATS_USER, NATS_PASS)
  --token T                    token (or NATS_TOKEN)
  --stream NAME                the dead-letter stream to read (required)
  --subject SUBJ               only dead letters whose original subject matches (wildcards allowed)
  --from-stream NAME           only dead letters from this original stream
  --from-seq N --to-seq N      only original stream sequences in this range
  --limit N                    at most N (default 1000)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      servers: { type: 'string' },
      user: { type: 'string' },
      pass: { type: 'string' },
      token: { type: 'string' },
      stream: { type: 'string' },
      subject: { type: 'string' },
      'from-stream': { type: 'string' },
      'from-seq': { type: 'string' },
      'to-seq': { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.stream) {
    process.stderr.write(`${values.help ? '' : 'nest-jetstream-redrive: --stream is required\n\n'}${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number; got "${v}"`);
    return n;
  };
  const nc = await connect({
    servers: (values.servers ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222').split(','),
    user: values.user ?? process.env['NATS_USER'],
    pass: values.pass ?? process.env['NATS_PASS'],
    token: values.token ?? process.env['NATS_TOKEN'],
  });
  try {
    const result = await redriveDeadLetters(nc, {
      stream: values.stream,
      subject: values.subject,
      fromStream: values['from-stream'],
      fromSequence: int(values['from-seq'], 'from-seq'),
      toSequence: int(values['to-seq'], 'to-seq'),
      limit: int(values.limit, 'limit'),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`nest-jetstream-redrive: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
