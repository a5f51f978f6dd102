// npm run permissions: the least-privilege NATS permissions of each example service, computed by
// the library from the service itself (booted against a nats-server this script starts).
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { NatsServer } from '@nest-jetstream/testing';
import { JetStreamServer, type PermissionRole } from '@nest-jetstream/transport';
import { loadConfig, Subjects } from '@nest-jetstream/example-shared';
import { AppModule as OrdersModule } from '../orders-service/src/app.module';
import { AppModule as InventoryModule } from '../inventory-service/src/app.module';

const services = [
  { name: 'orders-service', module: OrdersModule, publishes: [Subjects.OrderCreated] },
  { name: 'inventory-service', module: InventoryModule, publishes: [Subjects.InventoryReserved, Subjects.InventoryRejected] },
];
const roles: PermissionRole[] = (process.argv[2]?.split(',') as PermissionRole[] | undefined) ?? ['admin', 'consumer'];

async function main(): Promise<void> {
  const server = await NatsServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'nest-jetstream-permissions-'));
  try {
    for (const svc of services) {
      const config = loadConfig({ httpPort: 0, dbPath: join(dir, `${svc.name}.sqlite`) }, { NATS_SERVERS: server.url });
      const app = await NestFactory.create(svc.module.forConfig(config), { logger: false });
      const strategy = app.get(JetStreamServer);
      app.connectMicroservice({ strategy });
      await app.startAllMicroservices();
      for (const role of roles) {
        console.log(`# ${svc.name}, role ${role} (JetStream only; core NATS request/reply subjects are the app's own)`);
        console.log(JSON.stringify(await strategy.permissions(role, { publishes: svc.publishes }), null, 2));
      }
      await app.close();
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
