import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { JetStreamClient, JetStreamServer } from '@nest-jetstream/transport';
import { loadConfig, natsConnection } from '@nest-jetstream/example-shared';
import { AppModule } from './app.module';

async function bootstrap() {
  const config = loadConfig({ httpPort: 3001, dbPath: 'inventory.sqlite' });
  const app = await NestFactory.create(AppModule.forConfig(config), { logger: ['error', 'warn', 'log'] });
  // Both transports side by side: request/reply on core NATS, durable events on JetStream.
  app.connectMicroservice({ transport: Transport.NATS, options: natsConnection(config, 'inventory-service/core') });
  const jetstream = app.get(JetStreamServer);
  const logger = new Logger('DeadLetters');
  jetstream.on('deadLetter', (e) => logger.warn(`order event ${e.stream} #${e.streamSequence} dead-lettered to ${e.deadLetterSubject}: ${e.reason}`));
  app.connectMicroservice({ strategy: jetstream });
  app.enableShutdownHooks(); // SIGTERM: stop pulling, finish handlers, drain
  await app.startAllMicroservices();
  if (config.provisionOnly) {
    // A provisioning job (the admin identity, create-or-update): streams and consumers are in place.
    await app.close();
    process.stdout.write(`${JSON.stringify({ event: 'provisioned', service: 'inventory' })}\n`);
    return;
  }
  // The publisher connects now (not at its first publish), so readiness is true from the start.
  await app.get(JetStreamClient).connect();
  await app.listen(config.httpPort, config.httpHost);
  process.stdout.write(`${JSON.stringify({ event: 'ready', service: 'inventory', port: (app.getHttpServer().address() as { port: number }).port })}\n`);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`inventory-service failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
