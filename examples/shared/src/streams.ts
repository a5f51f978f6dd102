import type { StreamDeclaration } from '@nest-jetstream/transport';

/** Subjects both services agree on. */
export const Subjects = {
  OrderCreated: 'orders.created',
  InventoryReserved: 'inventory.reserved',
  InventoryRejected: 'inventory.rejected',
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
  return [
    {
      name: 'ORDERS',
      subjects: ['orders.>'],
      storage: 'file',
      retention: 'limits',
      replicas,
      maxAge: '7d',
      maxBytes: 1024 ** 3,
      maxMsgSize: 64 * 1024,
      duplicateWindow: '10m',
      discard: 'old',
    },
    {
      name: 'INVENTORY',
      subjects: ['inventory.>'],
      storage: 'file',
      retention: 'limits',
      replicas,
      maxAge: '7d',
      maxBytes: 1024 ** 3,
      maxMsgSize: 64 * 1024,
      duplicateWindow: '10m',
      discard: 'old',
    },
    {
      name: 'DEAD_LETTERS',
      subjects: ['deadletter.>'],
      storage: 'file',
      retention: 'limits',
      replicas,
      maxAge: '30d',
      maxBytes: 1024 ** 3,
      duplicateWindow: '1h',
      discard: 'old',
    },
  ];
}
