import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ClientProxy } from '@nestjs/microservices';
import { JetStreamClient, JetStreamServer } from '@nest-jetstream/transport';
import { loadConfig } from '@nest-jetstream/example-shared';
import { AppModule } from './app.module';
import { CORE_NATS } from './tokens';

async function bootstrap() {
  const config = loadConfig({ httpPort: 3000, dbPath: 'orders.sqlite' });
  const app = await NestFactory.create(AppModule.forConfig(config), { logger: ['error', 'warn', 'log'] });
  app.connectMicroservice({ strategy: app.get(JetStreamServer) });
  app.enableShutdownHooks(); // SIGTERM: stop pulling, finish handlers, drain
  await app.startAllMicroservices();
  if (config.provisionOnly) {
    // A provisioning job (the admin identity, create-or-update): streams and consumers are in place.
    await app.close();
    process.stdout.write(`${JSON.stringify({ event: 'provisioned', service: 'orders' })}\n`);
    return;
  }
  // The publisher connects now (not at its first publish), so readiness is true from the start.
  await app.get(JetStreamClient).connect();
  await app.get<ClientProxy>(CORE_NATS).connect();
  await app.listen(config.httpPort, config.httpHost);
  process.stdout.write(`${JSON.stringify({ event: 'ready', service: 'orders', port: (app.getHttpServer().address() as { port: number }).port })}\n`);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`orders-service failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
