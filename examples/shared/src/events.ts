/** The payloads on the wire. */
export interface OrderCreated {
  id: string;
  sku: string;
  qty: number;
}

export interface InventoryReserved {
  orderId: string;
  sku: string;
  qty: number;
}

export interface InventoryRejected {
  orderId: string;
  reason: string;
}

export interface StockCheckRequest {
  sku: string;
}

export interface StockCheckReply {
  sku: string;
  available: number;
}
