import { Controller, Get, Header, Inject, Module, Optional, type DynamicModule } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { JetStreamClient, JetStreamServer, type HealthOptions } from '@nest-jetstream/transport';
import { JetStreamMetrics } from '@nest-jetstream/transport/metrics';
import { JetStreamHealthIndicator } from '@nest-jetstream/transport/terminus';
import type { ServiceConfig } from './config';

/** The Prometheus registry a service's `/metrics` serves. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
/** Other NATS clients (core NATS `ClientProxy`s) whose connection readiness depends on. */
export const EXTRA_CONNECTIONS = Symbol('EXTRA_CONNECTIONS');

/**
 * What a service gives JetStreamModule for metrics and health, and the registry it serves. The
 * storage check writes (`storageWrite`): the provisioning run creates `<SERVICE>_HEALTH`, and the
 * least-privilege identity (verify) may write to it.
 */
export function observability(config: ServiceConfig): { registry: Registry; metrics: JetStreamMetrics; health: HealthOptions } {
  const registry = new Registry();
  return { registry, metrics: new JetStreamMetrics({ registry }), health: { monitorUrl: config.natsMonitorUrl, storageWrite: true } };
}

/**
 * `GET /health/live` (liveness: the NATS connection), `GET /health/ready` (readiness: the six
 * JetStream signals of the server and the publisher, and any other NATS connection the service
 * needs), `GET /health` (the same as ready) and `GET /metrics` (Prometheus).
 */
@Controller()
class OperationsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly jetstream: JetStreamHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly server: JetStreamServer,
    private readonly client: JetStreamClient,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Optional() @Inject(EXTRA_CONNECTIONS) private readonly extra: { unwrap<T>(): T }[] = [],
  ) {}

  @Get('health/live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.jetstream.isLive('jetstream', this.server.health)]);
  }

  @Get(['health/ready', 'health'])
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.jetstream.isReady('jetstream', this.server.health),
      () => this.jetstream.isReady('publisher', this.client.health),
      () => this.connections(),
    ]);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private connections() {
    const check = this.indicators.check('connections');
    try {
      for (const c of this.extra) c.unwrap();
      return check.up({ count: this.extra.length });
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }
}

/** The operations endpoints, for a service whose JetStreamModule got `observability(config)`. */
@Module({})
export class OperationsModule {
  static forRegistry(registry: Registry, extraConnections: symbol[] = []): DynamicModule {
    return {
      module: OperationsModule,
      imports: [TerminusModule],
      controllers: [OperationsController],
      providers: [
        JetStreamHealthIndicator,
        { provide: METRICS_REGISTRY, useValue: registry },
        { provide: EXTRA_CONNECTIONS, useFactory: (...clients: { unwrap<T>(): T }[]) => clients, inject: extraConnections },
      ],
    };
  }
}
