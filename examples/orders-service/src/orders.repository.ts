import Database from 'better-sqlite3';
import { SqlOutbox, sqliteExecutor, type OutboxEvent, type SyncSqlExecutor } from '@nest-jetstream/transport/sql';

export type OrderStatus = 'pending' | 'confirmed' | 'rejected' | 'failed';

export interface Order {
  id: string;
  sku: string;
  qty: number;
  status: OrderStatus;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Orders in SQLite (WAL): the service's own state, independent of NATS. Its events go through a
 * transactional outbox in the same database (docs/outbox.md): an order and its event are committed
 * together, and the `OrdersOutboxRelay` publishes the event after the commit.
 */
export class OrdersRepository {
  private readonly db: Database.Database;
  readonly outbox: SqlOutbox<SyncSqlExecutor>;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS orders (
      id TEXT PRIMARY KEY, sku TEXT NOT NULL, qty INTEGER NOT NULL, status TEXT NOT NULL,
      reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    this.outbox = new SqlOutbox({ executor: sqliteExecutor(this.db), dialect: 'sqlite', createTable: true });
    this.outbox.init(); // the table exists before the first order (the relay's start() would create it too)
  }

  get(id: string): Order | undefined {
    const row = this.db.prepare('SELECT id, sku, qty, status, reason, created_at AS createdAt, updated_at AS updatedAt FROM orders WHERE id = ?').get(id);
    return row as Order | undefined;
  }

  /** Inserts unless the id exists; returns whether it inserted. */
  insert(order: Pick<Order, 'id' | 'sku' | 'qty' | 'status' | 'reason'>): boolean {
    const now = new Date().toISOString();
    const r = this.db
      .prepare('INSERT OR IGNORE INTO orders (id, sku, qty, status, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(order.id, order.sku, order.qty, order.status, order.reason, now, now);
    return r.changes === 1;
  }

  /**
   * Inserts the order and, in the same transaction, its events into the outbox: both are
   * committed or neither. Returns false (and adds nothing) when the id exists.
   */
  insertWithEvents(order: Pick<Order, 'id' | 'sku' | 'qty' | 'status' | 'reason'>, events: OutboxEvent[]): boolean {
    return this.db.transaction(() => {
      if (!this.insert(order)) return false;
      this.outbox.add(events);
      return true;
    })();
  }

  /** Moves a pending order to its final status; a final status never changes again. */
  settle(id: string, status: Exclude<OrderStatus, 'pending'>, reason: string | null): boolean {
    const r = this.db
      .prepare("UPDATE orders SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'")
      .run(status, reason, new Date().toISOString(), id);
    return r.changes === 1;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Nest calls this on shutdown (SIGTERM with enableShutdownHooks), after the transports closed. */
  onApplicationShutdown(): void {
    this.close();
    // An in-memory copy (the one the AsyncAPI document is read from) stopping is not the service stopping.
    if (this.db.memory) return;
    process.stdout.write(`${JSON.stringify({ event: 'stopped', service: 'orders' })}\n`);
  }
}
