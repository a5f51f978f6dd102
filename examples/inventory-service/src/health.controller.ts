import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { JetStreamClient, JetStreamServer } from '@nest-jetstream/transport';

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
      const consumers = this.server.bindings.map((b) => `${b.stream}/${b.durable}`);
      if (this.server.unwrap<NatsConnection>().isClosed() || consumers.length === 0) throw new Error('JetStream server not listening');
      this.events.unwrap<NatsConnection>();
      return { status: 'ok', consumers };
    } catch (err) {
      throw new ServiceUnavailableException(`not ready: ${(err as Error).message}`);
    }
  }
}
