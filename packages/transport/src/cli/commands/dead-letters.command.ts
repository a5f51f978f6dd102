import { listDeadLetters, peekDeadLetter, type DeadLetterEntry, type DeadLetterFilter } from '../../dead-letter/dead-letter-browse.js';
import { redriveDeadLetters } from '../../dead-letter/redrive.js';
import { deadLetterSubjectOf, streamOf } from '../app/app-streams.js';
import type { CliCommand, CliConnection, CliContext } from '../cli-command.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatAge, type Column } from '../output.js';
import { intFlag, stringFlag } from '../flags.js';

const USAGE = `Usage: nest-jetstream dead-letters <list | peek SEQ | redrive> [options]

  list                         the dead letters: original subject, stream and sequence, attempts, reason
  peek SEQ                     one dead letter (its sequence in the dead-letter stream): every header and the payload
  redrive                      republish dead letters to their original subjects, removing them from the dead-letter stream
    --dry-run                  only show what would be redriven
  --stream NAME                the dead-letter stream (default: those of --app's dead-letter routes, else every DEAD_LETTERS and *_DEAD_LETTERS stream)
  --filter SUBJ                only dead letters whose original subject matches (wildcards allowed; --subject is the same)
  --from-stream NAME           only dead letters from this original stream
  --from-seq N --to-seq N      only original stream sequences in this range
  --reason TEXT                only dead letters whose reason contains TEXT
  --limit N                    at most N (default: list 100, redrive 1000)`;

/** A dead-letter stream by its name: the one provisioning makes (`<SERVICE>_DEAD_LETTERS`) or one declared as `DEAD_LETTERS`. */
const isDeadLetterStreamName = (name: string) => name === 'DEAD_LETTERS' || name.endsWith('_DEAD_LETTERS');

/** `nest-jetstream dead-letters list | peek | redrive`. */
export const deadLettersCommand: CliCommand = {
  name: 'dead-letters',
  summary: 'list, peek at and redrive the dead letters (original subject, sequence, attempts, reason)',
  usage: USAGE,
  connects: true,
  readsApps: true,
  options: {
    stream: { type: 'string' },
    filter: { type: 'string' },
    subject: { type: 'string' },
    'from-stream': { type: 'string' },
    'from-seq': { type: 'string' },
    'to-seq': { type: 'string' },
    reason: { type: 'string' },
    limit: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  async run(ctx) {
    const [action, arg] = ctx.positionals;
    if (action === 'list') return list(ctx);
    if (action === 'peek') return peek(ctx, arg);
    if (action === 'redrive') return redrive(ctx);
    throw new CliError(`${action === undefined ? 'say what to do' : `unknown action "${action}"`}: list, peek SEQ or redrive.\n\n${USAGE}`, EXIT.usage);
  },
};

function filterOf(ctx: CliContext): DeadLetterFilter {
  return {
    subject: stringFlag(ctx.values, 'filter') ?? stringFlag(ctx.values, 'subject'),
    fromStream: stringFlag(ctx.values, 'from-stream'),
    fromSequence: intFlag(ctx.values, 'from-seq'),
    toSequence: intFlag(ctx.values, 'to-seq'),
    reason: stringFlag(ctx.values, 'reason'),
  };
}

/** The dead-letter streams to look at: --stream, or those capturing --app's dead-letter subjects, or every stream named as a dead-letter one. */
async function streamsOf(ctx: CliContext, conn: CliConnection): Promise<string[]> {
  const named = stringFlag(ctx.values, 'stream');
  if (named) return [named];
  if (Array.isArray(ctx.values.app) && ctx.values.app.length > 0) {
    const found = new Set<string>();
    for (const app of await ctx.apps()) {
      for (const handler of app.handlers) {
        const subject = deadLetterSubjectOf(handler, (await streamOf(app, handler, conn.jsm)) ?? '');
        if (!subject) continue;
        const stream = await conn.jsm.streams.find(subject).catch(() => undefined);
        if (stream) found.add(stream);
      }
    }
    return [...found];
  }
  const all: string[] = [];
  try {
    for await (const name of conn.jsm.streams.names()) if (isDeadLetterStreamName(name)) all.push(name);
  } catch (err) {
    throw conn.serverError('list the streams', err, 'Name the dead-letter stream with --stream.');
  }
  return all.sort();
}

const COLUMNS: Column<DeadLetterEntry & { dlStream: string }>[] = [
  { header: 'stream', value: (e) => e.dlStream },
  { header: 'seq', value: (e) => e.deadLetterSequence, right: true },
  { header: 'age', value: (e) => formatAge(Date.now() - e.time.getTime()), right: true },
  { header: 'original subject', value: (e) => e.subject },
  { header: 'from', value: (e) => `${e.stream}#${e.sequence}` },
  { header: 'attempts', value: (e) => e.deliveries, right: true },
  { header: 'reason', value: (e) => oneLine(e.reason, 60) },
];

async function list(ctx: CliContext): Promise<number> {
  const conn = await ctx.connect();
  const filter = filterOf(ctx);
  const limit = intFlag(ctx.values, 'limit') ?? 100;
  const streams = await streamsOf(ctx, conn);
  const result: { stream: string; messages: number; deadLetters: DeadLetterEntry[] }[] = [];
  for (const stream of streams) {
    ctx.out.progress(`reading ${stream}...`);
    const { entries, total } = await listDeadLetters(conn.jsm, stream, filter, limit).catch((err: unknown) => {
      throw conn.serverError(`read dead-letter stream ${stream}`, err, 'Check the name with --stream.');
    });
    result.push({ stream, messages: total, deadLetters: entries });
  }
  ctx.out.result({ server: conn.server, streams: result });
  if (streams.length === 0)
    ctx.out.line(`No dead-letter stream on ${conn.server} (none named DEAD_LETTERS or *_DEAD_LETTERS): name one with --stream, or give --app.`);
  for (const s of result) ctx.out.line(`${s.stream}: ${s.messages} message(s), ${s.deadLetters.length} shown`);
  if (result.length > 0) {
    ctx.out.line();
    ctx.out.table(
      result.flatMap((s) => s.deadLetters.map((e) => ({ ...e, dlStream: s.stream }))),
      COLUMNS,
    );
  }
  return EXIT.ok;
}

async function peek(ctx: CliContext, arg: string | undefined): Promise<number> {
  const sequence = Number(arg);
  if (!arg || !Number.isInteger(sequence) || sequence < 1)
    throw new CliError(`peek takes the dead letter's sequence in its stream (a whole number ≥ 1); got ${arg ?? 'none'}.`, EXIT.usage);
  const conn = await ctx.connect();
  const streams = await streamsOf(ctx, conn);
  if (streams.length !== 1) {
    throw new CliError(`peek reads one stream; ${streams.length === 0 ? 'none was found' : `found ${streams.join(', ')}`}: name it with --stream.`, EXIT.usage);
  }
  const stream = streams[0];
  const fix = `List the dead letters with: nest-jetstream dead-letters list --stream ${stream}.`;
  const found = await peekDeadLetter(conn.jsm, stream, sequence).catch((err: unknown) => {
    throw conn.serverError(`read message ${sequence} of stream ${stream}`, err, fix);
  });
  if (!found)
    throw new CliError(
      `${conn.server}: cannot read message ${sequence} of stream ${stream}: there is none (removed, redriven, or never there). ${fix}`,
      EXIT.notFound,
    );
  const { entry, msg } = found;
  const headers: Record<string, string> = {};
  for (const key of msg.header?.keys() ?? []) headers[key] = msg.header?.get(key) ?? '';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(msg.data);
  const printable = isPrintable(text);
  const payload = printable ? text : Buffer.from(msg.data).toString('base64');
  ctx.out.result({
    server: conn.server,
    stream,
    sequence,
    subject: msg.subject,
    time: msg.time,
    deadLetter: entry ?? null,
    headers,
    payload,
    encoding: printable ? 'utf8' : 'base64',
  });
  ctx.out.line(`${stream} #${sequence}  ${msg.subject}  ${msg.time.toISOString()}`);
  if (entry) {
    ctx.out.line(`original subject  ${entry.subject}`);
    ctx.out.line(`from              ${entry.stream} sequence ${entry.sequence} (consumer ${entry.consumer})`);
    ctx.out.line(`attempts          ${entry.deliveries}`);
    ctx.out.line(`failed at         ${entry.time.toISOString()}`);
    ctx.out.line(`reason            ${entry.reason}`);
  } else {
    ctx.out.line('(no dead-letter headers: not a dead letter of this library)');
  }
  ctx.out.line();
  ctx.out.table(
    Object.entries(headers).map(([name, value]) => ({ name, value })),
    [
      { header: 'header', value: (h) => h.name },
      { header: 'value', value: (h) => oneLine(h.value, 100) },
    ],
  );
  ctx.out.line();
  ctx.out.line(`payload (${msg.data.length} bytes${printable ? '' : ', base64'}):`);
  ctx.out.line(payload);
  return EXIT.ok;
}

async function redrive(ctx: CliContext): Promise<number> {
  const conn = await ctx.connect();
  const streams = await streamsOf(ctx, conn);
  if (streams.length !== 1) {
    throw new CliError(
      `redrive reads one stream; ${streams.length === 0 ? 'none was found' : `found ${streams.join(', ')}`}: name it with --stream.`,
      EXIT.usage,
    );
  }
  const stream = streams[0];
  const filter = filterOf(ctx);
  const limit = intFlag(ctx.values, 'limit') ?? 1000;
  if (ctx.values['dry-run'] === true) {
    const { entries } = await listDeadLetters(conn.jsm, stream, filter, limit).catch((err: unknown) => {
      throw conn.serverError(`read dead-letter stream ${stream}`, err, 'Check the name with --stream.');
    });
    ctx.out.result({ server: conn.server, stream, dryRun: true, wouldRedrive: entries.length, deadLetters: entries });
    ctx.out.line(`Dry run: would redrive ${entries.length} dead letter(s) from ${stream} to their original subjects (nothing changed):`);
    ctx.out.table(
      entries.map((e) => ({ ...e, dlStream: stream })),
      COLUMNS,
    );
    return EXIT.ok;
  }
  ctx.out.progress(`redriving from ${stream}...`);
  const result = await redriveDeadLetters(conn.nc, { stream, ...filter, limit }).catch((err: unknown) => {
    throw conn.serverError(`redrive from stream ${stream}`, err, 'Check the name with --stream, and that this identity may publish to the original subjects.');
  });
  ctx.out.result({ server: conn.server, stream, ...result });
  ctx.out.line(
    `Redrove ${result.redriven} dead letter(s) from ${stream} to their original subjects; ${result.skipped} left (outside the filters or the limit).`,
  );
  return EXIT.ok;
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Text a terminal shows as it is: no replacement character (bytes that are not UTF-8), no control character but tab and line breaks. */
function isPrintable(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code === 0xfffd || (code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r')) return false;
  }
  return true;
}
