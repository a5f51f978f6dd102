import Database from 'better-sqlite3';

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

/** Orders in SQLite (WAL): the service's own state, independent of NATS. */
export class OrdersRepository {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS orders (
      id TEXT PRIMARY KEY, sku TEXT NOT NULL, qty INTEGER NOT NULL, status TEXT NOT NULL,
      reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
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
