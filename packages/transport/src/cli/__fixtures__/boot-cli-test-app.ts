import { NestFactory } from '@nestjs/core';
import { JetStreamServer } from '../../server/jetstream.server.js';
import { cliTestModule } from './cli-test.app.js';

/** The CLI's test app running for real against `url` (provisioned, consuming), as a deployed service would be. */
export async function bootCliTestApp(url: string): Promise<{ server: JetStreamServer; close: () => Promise<void> }> {
  const app = await NestFactory.create(cliTestModule(url), { logger: false });
  const server = app.get(JetStreamServer);
  app.connectMicroservice({ strategy: server });
  await app.startAllMicroservices();
  return { server, close: () => app.close() };
}
