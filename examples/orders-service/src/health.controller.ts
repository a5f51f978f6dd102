import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { ClientProxy } from '@nestjs/microservices';
import { JetStreamClient, JetStreamServer } from '@nest-jetstream/transport';
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
      const consumers = this.server.bindings.map((b) => `${b.stream}/${b.durable}`);
      const js = this.server.unwrap<NatsConnection>();
      if (js.isClosed() || consumers.length === 0) throw new Error('JetStream server not listening');
      this.events.unwrap<NatsConnection>();
      this.nats.unwrap<NatsConnection>();
      return { status: 'ok', consumers };
    } catch (err) {
      throw new ServiceUnavailableException(`not ready: ${(err as Error).message}`);
    }
  }
}
