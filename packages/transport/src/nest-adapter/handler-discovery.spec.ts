import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { MetadataScanner } from '@nestjs/core';
import { EventPattern, MessagePattern, Transport } from '@nestjs/microservices';
import { ListenerMetadataExplorer } from '@nestjs/microservices/listener-metadata-explorer.js';
import { JETSTREAM_TRANSPORT } from '../constants.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { discoverHandlers } from './handler-discovery.js';

// Pins the one reader of handlers against Nest's own explorer (the one Nest registers handlers with):
// a Nest version that stores the pattern metadata differently fails here, on Nest 12 and 11.

class Base {
  @MessagePattern('base.get')
  inherited() {}
}

@Controller()
class MixedController extends Base {
  @MessagePattern('acc.get')
  get() {}

  @MessagePattern(['acc.list', 'acc.*.peek'], Transport.NATS)
  many() {}

  @MessagePattern({ cmd: 'sum' })
  sum() {}

  @EventPattern('acc.changed')
  changed(_data: unknown) {}

  @EventPattern('acc.tcp', Transport.TCP)
  tcp(_data: unknown) {}

  @JetStreamEvent('acc.stored')
  stored(_data: unknown) {}

  notAHandler() {}
}

const explorer = new ListenerMetadataExplorer(new MetadataScanner());
const byNest = (instance: object) =>
  explorer.explore(instance).flatMap((d) =>
    d.patterns.map((pattern) => ({
      handler: `${instance.constructor.name}.${d.methodKey}`,
      pattern,
      transport: d.transport,
      isEventHandler: d.isEventHandler,
    })),
  );

describe('handler discovery', () => {
  const instance = new MixedController();
  const container = { getModules: () => new Map([['AppModule', { controllers: new Map([[MixedController, { instance }]]) }]]) };

  it("reads what Nest's ListenerMetadataExplorer reads, from an app container or DiscoveryService", () => {
    const expected = byNest(instance);
    expect(expected.length).toBe(8);
    expect(discoverHandlers(container)).toEqual(expected);
    expect(discoverHandlers({ getControllers: () => [{ instance }] } as never)).toEqual(expected);
  });

  it('names the handler, its transport and kind', () => {
    const found = discoverHandlers(container);
    expect(found).toContainEqual({ handler: 'MixedController.stored', pattern: 'acc.stored', transport: JETSTREAM_TRANSPORT, isEventHandler: true });
    expect(found).toContainEqual({ handler: 'MixedController.many', pattern: 'acc.*.peek', transport: Transport.NATS, isEventHandler: false });
    expect(found).toContainEqual({ handler: 'MixedController.inherited', pattern: 'base.get', transport: undefined, isEventHandler: false });
  });

  it('an unknown source has no handlers', () => {
    expect(discoverHandlers(undefined)).toEqual([]);
    expect(discoverHandlers({} as never)).toEqual([]);
  });
});
