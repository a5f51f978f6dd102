import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { JetStreamClient, JetStreamServer } from '@nest-jetstream/transport';
import { natsReadiness } from '@nest-jetstream/example-shared';
import { CORE_NATS } from './tokens';

@Controller('health')
export class HealthController {
  constructor(
    private readonly events: JetStreamClient,
    private readonly server: JetStreamServer,
    @Inject(CORE_NATS) private readonly nats: ClientProxy,
  ) {}

  /** 200 when both NATS connections are up and the JetStream consumers are bound. */
  @Get()
  check() {
    try {
      return natsReadiness(this.server, [this.events, this.nats]);
    } catch (err) {
      throw new ServiceUnavailableException(`not ready: ${(err as Error).message}`);
    }
  }
}
