// The example services' modules as their AsyncAPI documents are made from (npm run asyncapi, the
// drift test): a fixed configuration (no environment), an in-memory database, nothing connects.
import { join } from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import { loadConfig } from '@nest-jetstream/example-shared';
import { AppModule as OrdersModule } from '../orders-service/src/app.module';
import { AppModule as InventoryModule } from '../inventory-service/src/app.module';

const root = join(__dirname, '..');

/** Each example service: where its document is checked in, and its module. */
export function exampleDocuments(): { service: string; file: string; module: Type<unknown> | DynamicModule }[] {
  // `{}`: the local defaults, whatever the shell exports (the documents must not depend on it).
  const config = loadConfig({ httpPort: 0, dbPath: ':memory:' }, {});
  return [
    { service: 'orders-service', file: join(root, 'orders-service/asyncapi.yaml'), module: OrdersModule.forConfig(config) },
    { service: 'inventory-service', file: join(root, 'inventory-service/asyncapi.yaml'), module: InventoryModule.forConfig(config) },
  ];
}
