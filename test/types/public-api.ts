// A user of the published types (packages/transport/dist/*.d.ts), compiled by public-types.e2e-spec.ts.
// Every line without @ts-expect-error must compile; every @ts-expect-error line must NOT (what the
// README does not document is out of reach).
import {
  JetStreamClient,
  JetStreamConfigError,
  JetStreamContext,
  JetStreamErrorCode,
  JetStreamEvent,
  JetStreamModule,
  JetStreamRecordBuilder,
  JetStreamServer,
  JetStreamTransportError,
  createTestContext,
  type HandlerBindingInfo,
  type TestSettleCall,
  type JetStreamOptions,
} from '@nest-jetstream/transport';
import * as root from '@nest-jetstream/transport';
import { SqlIdempotencyStore, pgExecutor, sqliteExecutor, type PgQueryable, type SqliteDatabaseLike } from '@nest-jetstream/transport/sql';

const options: JetStreamOptions = { serviceName: 'billing', streams: [{ name: 'ORDERS', subjects: ['orders.>'], maxAge: '7d' }] };
JetStreamModule.forRoot(options);

class Handlers {
  @JetStreamEvent('orders.created', { maxDeliver: 5, backoff: ['1s'], poisonErrors: [RangeError] })
  onCreated(data: unknown, ctx: JetStreamContext): void {
    const info = ctx.getInfo();
    const attempt: number = info.deliveryCount;
    const tenant: string | undefined = ctx.getHeader('tenant');
    if (attempt > 1 && tenant) ctx.nak('5s');
    else ctx.ack();
    const settled: boolean = ctx.isSettled();
    const how: 'ack' | 'nak' | 'term' | undefined = ctx.settledWith;
    void settled;
    void how;
    void data;
    // @ts-expect-error how a message was settled is read-only: writing it would stop the library from settling
    ctx.settledWith = 'ack';
    // @ts-expect-error internal: the pipeline's exception, kept for the settle decision
    void ctx.handlerError;
    // @ts-expect-error contexts are made by the library, which settles them
    new JetStreamContext(ctx.getMessage(), undefined);
    // @ts-expect-error internal factory
    void JetStreamContext.create;
  }
}
void Handlers;

async function useServer(server: JetStreamServer): Promise<void> {
  server.on('deadLetter', (e) => console.log(e.deadLetterSubject, e.streamSequence));
  server.on('terminated', (e) => console.log(e.reason, e.exhausted));
  const first: HandlerBindingInfo | undefined = server.bindings[0];
  const durable: string | undefined = first?.durable;
  const backoff: readonly number[] | undefined = first?.backoffMs;
  void durable;
  void backoff;

  // @ts-expect-error internal: the runner's view of the server's version
  server.termReasonSupported = true;
  // @ts-expect-error internal: the codec is an option, not a property
  void server.codec;
  // @ts-expect-error internal: consumer lookup of the runner
  void server.consumerFor;
  // @ts-expect-error internal: settle callbacks of the runner
  void server.onTerminated;
  // @ts-expect-error internal: the dead-letter route of the runner
  void server.deadLetter;
  if (first) {
    // @ts-expect-error the bindings are a read-only view
    first.durable = 'other';
    // @ts-expect-error the backoff of a binding is read-only
    first.backoffMs.push(1);
    // @ts-expect-error the handler itself is not handed out
    void first.handler;
  }
}
void useServer;

async function useClient(client: JetStreamClient): Promise<void> {
  const ack = await client.publish('orders.created', { id: 1 }, { msgId: 'order-1', retryBudget: '30s' });
  const seq: number = ack.seq;
  void seq;
  client.emit('orders.created', new JetStreamRecordBuilder({ id: 2 }).setMsgId('order-2').setTimeout('1s').build()).subscribe();
}
void useClient;

function classify(err: unknown): string {
  if (err instanceof JetStreamConfigError) return err.code;
  if (err instanceof JetStreamTransportError) return err.code === JetStreamErrorCode.PublishTimeout ? 'retry later' : err.message;
  return 'unknown';
}
void classify;

// A handler under test gets a real JetStreamContext; the calls it made are plain data.
const underTest = createTestContext({ subject: 'orders.created', data: { id: 1 }, deliveryCount: 2, headers: { tenant: 'acme' } });
const testCtx: JetStreamContext = underTest.ctx;
const calls: readonly TestSettleCall[] = underTest.calls;
void testCtx;
void calls;
// @ts-expect-error the subject is required
createTestContext({ data: 1 });
// @ts-expect-error headers are strings
createTestContext({ subject: 'x', headers: { n: 1 } });

// The SQL idempotency store lives on its own subpath; the root exports only the documented API.
function sqlStores(db: SqliteDatabaseLike, pool: PgQueryable): void {
  const sqlite = new SqlIdempotencyStore({ executor: sqliteExecutor(db), dialect: 'sqlite' });
  const pg = new SqlIdempotencyStore({ executor: pgExecutor(pool), dialect: 'postgres' });
  void sqlite;
  void pg;
}
void sqlStores;
// @ts-expect-error moved to @nest-jetstream/transport/sql
void root.SqlIdempotencyStore;
// @ts-expect-error moved to @nest-jetstream/transport/sql
void root.sqliteExecutor;
// @ts-expect-error internal: inject the options with @InjectJetStreamOptions()
void root.JETSTREAM_MODULE_OPTIONS;
// @ts-expect-error internal: a server version the library checks
void root.TERM_REASON_MIN_SERVER;
// @ts-expect-error internal: PublishOptionUnsupportedError carries minServerVersion
void root.MESSAGE_TTL_MIN_SERVER;
// @ts-expect-error internal: the dead-letter safety net's stream name
void root.advisoryStreamName;
// @ts-expect-error internal: readDeadLetter reads the headers
void root.deadLetterMsgId;
// @ts-expect-error internal: ctx.idempotencyKey is the key
void root.sequenceKey;
// @ts-expect-error internal helper type
export type Internal = root.MaybePromise<number>;
