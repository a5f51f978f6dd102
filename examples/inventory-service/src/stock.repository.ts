import Database from 'better-sqlite3';
import { SqlIdempotencyStore, sqliteExecutor, type SyncSqlExecutor } from '@nest-jetstream/transport/sql';

export type Outcome = { kind: 'reserved'; sku: string; qty: number } | { kind: 'rejected'; reason: string };

/** Seed stock for a fresh database: SKU-LOW runs out fast, SKU-POISON trips the simulated bug. */
export const SEED_STOCK: Record<string, number> = { 'SKU-1': 1000, 'SKU-2': 1000, 'SKU-LOW': 1, 'SKU-POISON': 10 };

/** Where an order event came from: its idempotency key (`'<stream>:<seq>'`), stream and sequence. */
export interface EventSource {
  key: string;
  stream: string;
  seq: number;
}

/**
 * Stock, reservations, and the keys of the messages already processed, in one SQLite database.
 * `reserve` records the message's idempotency key in the library's `SqlIdempotencyStore` table,
 * in the same transaction as the stock change, with the outcome as the key's result: a
 * redelivered message never reserves twice, and gets back the outcome recorded the first time.
 */
export class StockRepository {
  private readonly db: Database.Database;
  /** The processed keys: also the server's `idempotency.store`, which prunes them. */
  readonly idempotency: SqlIdempotencyStore<SyncSqlExecutor>;
  private readonly reserveTx: (source: EventSource, orderId: string, sku: string, qty: number) => Outcome;
  private readonly receiveTx: (deliveries: readonly { sku: string; qty: number }[]) => void;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS stock (sku TEXT PRIMARY KEY, available INTEGER NOT NULL CHECK (available >= 0));
      CREATE TABLE IF NOT EXISTS reservations (order_id TEXT PRIMARY KEY, sku TEXT NOT NULL, qty INTEGER NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL);
    `);
    // Synchronous on better-sqlite3, so it runs inside db.transaction() below.
    this.idempotency = new SqlIdempotencyStore({ executor: sqliteExecutor(this.db), dialect: 'sqlite', table: 'processed_messages' });
    this.idempotency.createTable();
    const seed = this.db.prepare('INSERT OR IGNORE INTO stock (sku, available) VALUES (?, ?)');
    for (const [sku, available] of Object.entries(SEED_STOCK)) seed.run(sku, available);

    const add = this.db.prepare('INSERT INTO stock (sku, available) VALUES (?, ?) ON CONFLICT(sku) DO UPDATE SET available = available + excluded.available');
    this.receiveTx = this.db.transaction((deliveries: readonly { sku: string; qty: number }[]) => {
      for (const d of deliveries) add.run(d.sku, d.qty);
    });
    const byOrder = this.db.prepare('SELECT sku, qty FROM reservations WHERE order_id = ?');
    const take = this.db.prepare('UPDATE stock SET available = available - ? WHERE sku = ? AND available >= ?');
    const reserve = this.db.prepare('INSERT INTO reservations (order_id, sku, qty, stream, seq) VALUES (?, ?, ?, ?, ?)');
    this.reserveTx = this.db.transaction((source: EventSource, orderId: string, sku: string, qty: number): Outcome => {
      const seen = this.idempotency.lookup(source.key);
      if (seen?.result) return JSON.parse(seen.result) as Outcome;
      let outcome: Outcome;
      const earlier = byOrder.get(orderId) as { sku: string; qty: number } | undefined;
      if (earlier) outcome = { kind: 'reserved', sku: earlier.sku, qty: earlier.qty };
      else if (take.run(qty, sku, qty).changes === 1) {
        reserve.run(orderId, sku, qty, source.stream, source.seq);
        outcome = { kind: 'reserved', sku, qty };
      } else outcome = { kind: 'rejected', reason: `out of stock: ${this.available(sku)} ${sku} left, ${qty} ordered` };
      this.idempotency.record(source.key, { result: JSON.stringify(outcome) });
      return outcome;
    });
  }

  /** A batch of deliveries in one transaction: one write for the whole batch (the reason for a batch handler). */
  receive(deliveries: readonly { sku: string; qty: number }[]): void {
    this.receiveTx(deliveries);
  }

  available(sku: string): number {
    const row = this.db.prepare('SELECT available FROM stock WHERE sku = ?').get(sku) as { available: number } | undefined;
    return row?.available ?? 0;
  }

  reserve(source: EventSource, orderId: string, sku: string, qty: number): Outcome {
    return this.reserveTx(source, orderId, sku, qty);
  }

  reservations(): { orderId: string; sku: string; qty: number }[] {
    return this.db.prepare('SELECT order_id AS orderId, sku, qty FROM reservations ORDER BY order_id').all() as { orderId: string; sku: string; qty: number }[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Nest calls this on shutdown (SIGTERM with enableShutdownHooks), after the transports closed. */
  onApplicationShutdown(): void {
    this.close();
    // An in-memory copy (the one the AsyncAPI document is read from) stopping is not the service stopping.
    if (this.db.memory) return;
    process.stdout.write(`${JSON.stringify({ event: 'stopped', service: 'inventory' })}\n`);
  }
}
