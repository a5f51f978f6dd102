export { DEAD_LETTER_TEMPLATE, Subjects, streams } from './streams';
export { ENV, loadConfig, natsConnection } from './config';
export type { EnvName, ServiceConfig } from './config';
export type { InventoryRejected, InventoryReserved, OrderCreated, StockCheckReply, StockCheckRequest } from './events';
export { OperationsModule, observability, METRICS_REGISTRY, EXTRA_CONNECTIONS } from './operations';
export { OrderCreatedSchema, InventoryReservedSchema, InventoryRejectedSchema } from './schemas';
export { AsyncApiPageModule } from './asyncapi-page';
