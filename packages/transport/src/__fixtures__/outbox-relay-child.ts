// A relay process for outbox-crash.integration.spec.ts: relays the outbox of the SQLite file
// OUTBOX_DB to NATS_URL, and kills itself with SIGKILL at OUTBOX_CRASH ('after-read': events read,
// nothing published; 'after-publish': published, not marked; 'after-mark': marked) or, with
// 'none', relays until nothing is pending and prints its stats.
import Database from 'better-sqlite3';
import { JetStreamClient } from '../client/jetstream.client.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { sqliteExecutor, type SqlParam, type SqlRow } from '../sql/sql-executor.js';
import { SqlOutbox } from '../sql/sql-outbox.js';
import { say } from './fixture-process.js';

const crash = process.env.OUTBOX_CRASH ?? 'none';
const die = () => process.kill(process.pid, 'SIGKILL');
const db = new Database(process.env.OUTBOX_DB as string);
const inner = sqliteExecutor(db);
const executor = {
  get: inner.get,
  all: (sql: string, params: SqlParam[]) => {
    const rows = db.prepare(sql).all(...params) as SqlRow[];
    if (crash === 'after-read' && rows.length > 0) die();
    return rows;
  },
  run: (sql: string, params: SqlParam[]) => {
    const marking = sql.startsWith('UPDATE');
    if (marking && crash === 'after-publish') die();
    const result = inner.run(sql, params);
    if (marking && crash === 'after-mark') die();
    return result;
  },
};

async function main(): Promise<void> {
  const client = new JetStreamClient({ connection: { servers: process.env.NATS_URL } });
  const relay = new OutboxRelay({
    outbox: new SqlOutbox({ executor, dialect: 'sqlite' }),
    client,
    atomic: process.env.OUTBOX_ATOMIC === 'false' ? false : 'auto',
  });
  while ((await relay.relayOnce()) > 0);
  say('drained', { ...relay.stats });
  await client.close();
  db.close();
}

main().catch((err: unknown) => {
  say('error', { message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
