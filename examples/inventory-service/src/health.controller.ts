import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { JetStreamClient, JetStreamServer } from '@nest-jetstream/transport';
import { natsReadiness } from '@nest-jetstream/example-shared';

@Controller('health')
export class HealthController {
  constructor(
    private readonly events: JetStreamClient,
    private readonly server: JetStreamServer,
  ) {}

  /** 200 when the JetStream consumers are bound and the publisher is connected. */
  @Get()
  check() {
    try {
      return natsReadiness(this.server, [this.events]);
    } catch (err) {
      throw new ServiceUnavailableException(`not ready: ${(err as Error).message}`);
    }
  }
}
