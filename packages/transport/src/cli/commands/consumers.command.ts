import { toMillis, type Duration } from '../../utils/duration.js';
import { versionAtLeast } from '../../utils/server-version.js';
import { streamOf } from '../app/app-streams.js';
import type { CliCommand, CliConnection, CliContext } from '../cli-command.js';
import { readConsumers, type ConsumerRow, type OtherConsumer } from '../consumers/consumer-rows.js';
import { CliError, EXIT } from '../exit-codes.js';
import { stringFlag } from '../flags.js';
import { formatAge } from '../output.js';

const USAGE = `Usage: nest-jetstream consumers [pause | resume] [options]

  (no action) --app FILE       each handler's consumer: pending, ack pending, redelivered, oldest unprocessed, paused;
                               then the consumers of the app's service on its streams that no handler owns,
                               then the other consumers on those streams (another service's: listed, never pruned)
    --prune                    remove the app's own unowned ones (after a confirmation; --yes for scripts; never one a client is using)
  pause STREAM/CONSUMER        stop the server delivering to a consumer (nats-server 2.11+)
    --for DURATION | --until ISO-DATE   until when (default: until resumed)
  resume STREAM/CONSUMER       deliver again
  (a consumer may also be named alone, with --stream STREAM, or by its durable name with --app)`;

/** Consumer pause arrived in nats-server 2.11 (older servers ignore `pause_until`). */
export const PAUSE_MIN_SERVER = '2.11.0';
/** "Until resumed": the server takes a date, so a far one. */
const UNTIL_RESUMED = new Date('2999-12-31T00:00:00Z');

/** `nest-jetstream consumers`, `consumers pause`, `consumers resume`. */
export const consumersCommand: CliCommand = {
  name: 'consumers',
  summary: "each handler's consumer (lag, redeliveries, oldest unprocessed, paused), the ones no handler owns (--prune); pause | resume",
  usage: USAGE,
  connects: true,
  readsApps: true,
  options: {
    prune: { type: 'boolean' },
    stream: { type: 'string' },
    for: { type: 'string' },
    until: { type: 'string' },
  },
  async run(ctx) {
    const [action, target] = ctx.positionals;
    if (action === undefined) return list(ctx);
    if (action === 'pause' || action === 'resume') return pauseOrResume(ctx, action, target);
    throw new CliError(`unknown action "${action}": none (list), pause or resume.\n\n${USAGE}`, EXIT.usage);
  },
};

async function list(ctx: CliContext): Promise<number> {
  const apps = await ctx.apps();
  const conn = await ctx.connect();
  const view = await readConsumers(conn, apps, (t) => ctx.out.progress(t));
  const prune = ctx.values.prune === true;
  const removable = view.unowned.filter((c) => !c.inUse);
  const removed: string[] = [];
  if (prune && removable.length > 0) {
    ctx.out.line(
      `Consumers no handler owns, to remove:\n${removable.map((c) => `  ${c.stream}/${c.consumer} (${c.pending} pending, ${c.ackPending} unacknowledged)`).join('\n')}`,
    );
    if (
      !(await ctx.confirm(`Remove these ${removable.length} consumer(s) from ${conn.server}? Their pending messages are not delivered to anyone afterwards.`))
    ) {
      ctx.out.result({ ...view, removed });
      ctx.out.line('Nothing removed.');
      return EXIT.declined;
    }
    for (const c of removable) {
      await conn.jsm.consumers.delete(c.stream, c.consumer).catch((err: unknown) => {
        throw conn.serverError(`remove consumer ${c.stream}/${c.consumer}`, err, `Remove it by hand: ${c.remove}.`);
      });
      removed.push(`${c.stream}/${c.consumer}`);
    }
    ctx.out.line();
  }
  ctx.out.result(prune ? { ...view, removed } : view);
  ctx.out.line(`Handlers' consumers on ${conn.server}:`);
  ctx.out.table(view.handlers, [
    { header: 'app', value: (r: ConsumerRow) => r.app },
    { header: 'subject', value: (r) => r.subject },
    { header: 'mode', value: (r) => r.mode },
    { header: 'consumer', value: (r) => `${r.stream}/${r.consumer}` },
    { header: 'pending', value: (r) => (r.exists ? r.pending : 'missing'), right: true },
    { header: 'ack pending', value: (r) => r.ackPending, right: true },
    { header: 'redelivered', value: (r) => r.redelivered, right: true },
    { header: 'oldest', value: (r) => (r.oldestUnprocessedMs === undefined ? undefined : formatAge(r.oldestUnprocessedMs)), right: true },
    { header: 'paused', value: (r) => r.paused },
  ]);
  ctx.out.line();
  ctx.out.line('Consumers on these streams that no handler owns:');
  ctx.out.table(view.unowned, [
    { header: 'app', value: (c) => c.app },
    { header: 'consumer', value: (c) => `${c.stream}/${c.consumer}` },
    { header: 'pending', value: (c) => c.pending, right: true },
    { header: 'ack pending', value: (c) => c.ackPending, right: true },
    { header: 'in use', value: (c) => c.inUse },
    { header: 'state', value: (c) => (removed.includes(`${c.stream}/${c.consumer}`) ? 'removed' : 'left behind') },
  ]);
  if (view.others.length > 0) {
    ctx.out.line();
    ctx.out.line("Other consumers on these streams (not these apps': another service's, or made by hand; never pruned):");
    ctx.out.table(view.others, [
      { header: 'consumer', value: (c: OtherConsumer) => `${c.stream}/${c.consumer}` },
      { header: 'pending', value: (c) => c.pending, right: true },
      { header: 'ack pending', value: (c) => c.ackPending, right: true },
      { header: 'durable', value: (c) => c.durable },
    ]);
  }
  for (const u of view.unreadable)
    ctx.out.warn(`could not list the consumers of stream ${u.stream} (${u.reason}): allow $JS.API.CONSUMER.LIST.${u.stream} to this identity.`);
  if (!prune && removable.length > 0) ctx.out.line(`\nRemove the ${removable.length} left behind with --prune.`);
  const inUse = view.unowned.filter((c) => c.inUse);
  if (prune && inUse.length > 0) ctx.out.line(`\nNot removed, a client is using them: ${inUse.map((c) => `${c.stream}/${c.consumer}`).join(', ')}.`);
  return EXIT.ok;
}

/** `STREAM/CONSUMER`, or `CONSUMER` with --stream, or a handler's durable with --app. */
async function consumerOf(ctx: CliContext, conn: CliConnection, target: string | undefined): Promise<{ stream: string; consumer: string }> {
  if (!target) throw new CliError('name the consumer: STREAM/CONSUMER (or CONSUMER with --stream).', EXIT.usage);
  const slash = target.indexOf('/');
  if (slash > 0) return { stream: target.slice(0, slash), consumer: target.slice(slash + 1) };
  const stream = stringFlag(ctx.values, 'stream');
  if (stream) return { stream, consumer: target };
  if (Array.isArray(ctx.values.app)) {
    for (const app of await ctx.apps()) {
      for (const h of app.handlers) if (h.binding.durable === target) return { stream: (await streamOf(app, h, conn.jsm)) ?? '', consumer: target };
    }
    throw new CliError(`no handler of the app has consumer "${target}": run nest-jetstream consumers --app ... to see their names.`, EXIT.notFound);
  }
  throw new CliError(`which stream is consumer "${target}" on? Name it STREAM/${target}, or pass --stream.`, EXIT.usage);
}

async function pauseOrResume(ctx: CliContext, action: 'pause' | 'resume', target: string | undefined): Promise<number> {
  const conn = await ctx.connect();
  const { stream, consumer } = await consumerOf(ctx, conn, target);
  if (!versionAtLeast(conn.version, PAUSE_MIN_SERVER)) {
    throw new CliError(
      `${conn.server} runs nats-server ${conn.version}; consumer ${action} needs nats-server ${PAUSE_MIN_SERVER.replace(/\.0$/, '')} or later (older servers ignore it). Upgrade the server, or scale the consumer's service down instead.`,
      EXIT.unsupported,
    );
  }
  const until = action === 'resume' ? undefined : untilOf(ctx);
  const done = await (
    action === 'pause' ? conn.jsm.consumers.pause(stream, consumer, until ?? UNTIL_RESUMED) : conn.jsm.consumers.resume(stream, consumer)
  ).catch((err: unknown) => {
    throw conn.serverError(`${action} consumer ${stream}/${consumer}`, err);
  });
  ctx.out.result({ server: conn.server, stream, consumer, paused: done.paused, until: done.paused ? (until ?? null) : null });
  ctx.out.line(
    done.paused
      ? `Paused ${stream}/${consumer} on ${conn.server} ${until ? `until ${until.toISOString()}` : 'until resumed'}: the server delivers nothing to it meanwhile.`
      : `Resumed ${stream}/${consumer} on ${conn.server}.`,
  );
  return EXIT.ok;
}

function untilOf(ctx: CliContext): Date | undefined {
  const forFlag = stringFlag(ctx.values, 'for');
  const untilFlag = stringFlag(ctx.values, 'until');
  if (forFlag && untilFlag) throw new CliError('--for and --until say the same thing: give one.', EXIT.usage);
  if (forFlag) {
    try {
      return new Date(Date.now() + toMillis(forFlag as Duration, '--for'));
    } catch (err) {
      throw new CliError(`--for takes a duration such as 30m or 2h; got "${forFlag}".`, EXIT.usage, { cause: err });
    }
  }
  if (untilFlag) {
    const date = new Date(untilFlag);
    if (Number.isNaN(date.getTime())) throw new CliError(`--until takes a date such as 2026-12-24T18:00:00Z; got "${untilFlag}".`, EXIT.usage);
    return date;
  }
  return undefined;
}
