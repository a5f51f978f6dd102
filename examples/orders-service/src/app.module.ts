import { Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { JetStreamClient, JetStreamModule } from '@nest-jetstream/transport';
import { buildAsyncApiDocument } from '@nest-jetstream/transport/asyncapi';
import { OutboxRelayMetrics } from '@nest-jetstream/transport/metrics';
import {
  AsyncApiPageModule,
  DEAD_LETTER_TEMPLATE,
  natsConnection,
  observability,
  OperationsModule,
  OrderCreatedSchema,
  streams,
  Subjects,
  type ServiceConfig,
} from '@nest-jetstream/example-shared';
import { InventoryEventsController } from './inventory-events.controller';
import { OrdersOutboxRelay } from './orders-outbox.relay';
import { OrdersController } from './orders.controller';
import { OrdersRepository } from './orders.repository';
import { CORE_NATS } from './tokens';

export const SERVICE_NAME = 'orders';

export class AppModule {
  static forConfig(config: ServiceConfig) {
    const { registry, metrics, health } = observability(config);
    const outboxMetrics = new OutboxRelayMetrics({ registry });
    @Module({
      imports: [
        JetStreamModule.forRoot({
          isGlobal: true,
          connection: natsConnection(config, 'orders-service/jetstream'),
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
                subject: Subjects.OrderCreated,
                schema: OrderCreatedSchema,
                description: 'An order placed over HTTP, after its stock check; published from the transactional outbox (msgId: the outbox row id).',
              },
            ],
          },
        }),
        // GET /asyncapi (the rendered page), /asyncapi.json, /asyncapi.yaml: made from a copy of this module that opens nothing.
        AsyncApiPageModule.forDocument(SERVICE_NAME, () => buildAsyncApiDocument(AppModule.forConfig({ ...config, dbPath: ':memory:' }))),
        // GET /health/live, /health/ready and /metrics
        OperationsModule.forRegistry(registry, [CORE_NATS]),
        ClientsModule.register({
          isGlobal: true,
          clients: [{ name: CORE_NATS, transport: Transport.NATS, options: natsConnection(config, 'orders-service/core') }],
        }),
      ],
      controllers: [OrdersController, InventoryEventsController],
      providers: [
        { provide: OrdersRepository, useFactory: () => new OrdersRepository(config.dbPath) },
        {
          provide: OrdersOutboxRelay,
          useFactory: (orders: OrdersRepository, client: JetStreamClient) => new OrdersOutboxRelay(orders, client, outboxMetrics),
          inject: [OrdersRepository, JetStreamClient],
        },
      ],
    })
    class OrdersAppModule {}
    return OrdersAppModule;
  }
}
