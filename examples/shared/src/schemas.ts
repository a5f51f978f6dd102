import { z } from 'zod';

// The payloads' schemas (zod, a Standard Schema): each handler validates what it receives, and the
// services' AsyncAPI documents show them (docs/contracts.md).

export const OrderCreatedSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    sku: z.string().min(1),
    qty: z.number().int().min(1).max(1000),
  })
  .meta({ title: 'OrderCreated', description: 'An order placed: the stock to reserve.' });

export const InventoryReservedSchema = z
  .object({ orderId: z.string().min(1), sku: z.string().min(1), qty: z.number().int().min(1) })
  .meta({ title: 'InventoryReserved', description: 'The stock of an order is reserved: the order is confirmed.' });

export const InventoryRejectedSchema = z
  .object({ orderId: z.string().min(1), reason: z.string() })
  .meta({ title: 'InventoryRejected', description: 'The order cannot be served (out of stock): it is rejected.' });
