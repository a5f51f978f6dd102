import { Module } from '@nestjs/common';
import { JetStreamModule } from '@nest-jetstream/transport';
import { buildAsyncApiDocument } from '@nest-jetstream/transport/asyncapi';
import {
  AsyncApiPageModule,
  DEAD_LETTER_TEMPLATE,
  InventoryRejectedSchema,
  InventoryReservedSchema,
  natsConnection,
  observability,
  OperationsModule,
  streams,
  Subjects,
  type ServiceConfig,
} from '@nest-jetstream/example-shared';
import { DeliveriesController } from './deliveries.controller';
import { ReservationsController } from './reservations.controller';
import { StockController } from './stock.controller';
import { StockRepository } from './stock.repository';

export const SERVICE_NAME = 'inventory';

export class AppModule {
  static forConfig(config: ServiceConfig) {
    const { registry, metrics, health } = observability(config);
    // One SQLite database: the stock, and the idempotency keys the reservations are recorded with.
    const stock = new StockRepository(config.dbPath);
    @Module({
      imports: [
        JetStreamModule.forRoot({
          isGlobal: true,
          connection: natsConnection(config, 'inventory-service/jetstream'),
          serviceName: SERVICE_NAME,
          streams: streams(config.replicas),
          deadLetter: DEAD_LETTER_TEMPLATE,
          provisioning: config.provisioning,
          metrics,
          health,
          // What it publishes, for its AsyncAPI document (GET /asyncapi, npm run asyncapi).
          contract: {
            version: '1.0.0',
            publishes: [
              {
                subject: Subjects.InventoryReserved,
                schema: InventoryReservedSchema,
                description: 'The stock of an order is reserved (msgId: reserved:<order id>).',
              },
              { subject: Subjects.InventoryRejected, schema: InventoryRejectedSchema, description: 'An order cannot be served (msgId: rejected:<order id>).' },
            ],
          },
          // The processed keys, pruned hourly after 7 days: far beyond ORDERS' duplicate window
          // (10m) and the longest redelivery (maxDeliver 3 × (handlerTimeout 5m + backoff 1s)).
          idempotency: { store: stock.idempotency, pruneInterval: '1h', retain: '7d' },
        }),
        // GET /asyncapi (the rendered page), /asyncapi.json, /asyncapi.yaml: made from a copy of this module that opens nothing.
        AsyncApiPageModule.forDocument(SERVICE_NAME, () => buildAsyncApiDocument(AppModule.forConfig({ ...config, dbPath: ':memory:' }))),
        // GET /health/live, /health/ready and /metrics
        OperationsModule.forRegistry(registry),
      ],
      controllers: [StockController, ReservationsController, DeliveriesController],
      providers: [{ provide: StockRepository, useValue: stock }],
    })
    class InventoryAppModule {}
    return InventoryAppModule;
  }
}
