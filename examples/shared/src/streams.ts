import type { StreamDeclaration } from '@nest-jetstream/transport';

/** Subjects both services agree on. */
export const Subjects = {
  OrderCreated: 'orders.created',
  InventoryReserved: 'inventory.reserved',
  InventoryRejected: 'inventory.rejected',
  /** A delivery to the warehouse: stock added, received in bulk by a batch handler. */
  StockReceived: 'inventory.stock.received',
  /** Core-NATS request/reply: how much of a SKU is available. */
  StockCheck: 'stock.check',
  /** Dead letters of `orders.created`, from the template `deadletter.{subject}`. */
  OrderDeadLetter: 'deadletter.orders.created',
} as const;

export const DEAD_LETTER_TEMPLATE = 'deadletter.{subject}';

/**
 * The streams, declared once for both services: file storage, explicit retention and limits.
 * `replicas` is 3 on the docker-compose cluster (NATS_REPLICAS=3), 1 on a single node.
 */
export function streams(replicas: number): StreamDeclaration[] {
  // What every stream here has: file storage, explicit limits retention, 1 GiB, oldest dropped first.
  const limits = { storage: 'file', retention: 'limits', replicas, maxBytes: 1024 ** 3, discard: 'old' } as const;
  // The two event streams: a week, 64 KiB messages, a 10-minute window for msgID dedup.
  const events = { ...limits, maxAge: '7d', maxMsgSize: 64 * 1024, duplicateWindow: '10m' } as const;
  return [
    { name: 'ORDERS', subjects: ['orders.>'], ...events },
    { name: 'INVENTORY', subjects: ['inventory.>'], ...events },
    { name: 'DEAD_LETTERS', subjects: ['deadletter.>'], ...limits, maxAge: '30d', duplicateWindow: '1h' },
  ];
}
