import 'reflect-metadata';
import { Controller, type DynamicModule } from '@nestjs/common';
import { z } from 'zod';
import { asyncApiProblems } from '../../../../../test/contracts/asyncapi-parse';
import { JetStreamEvent } from '../../decorators/jetstream-event.decorator.js';
import type { JetStreamEventOptions } from '../../interfaces/jetstream-event-options.interface.js';
import type { JetStreamOptions } from '../../interfaces/jetstream-options.interface.js';
import { JetStreamModule } from '../../module/jetstream.module.js';
import { addressOf, channelIdOf } from './asyncapi-document.js';
import { buildAsyncApiDocument, renderAsyncApiJson, renderAsyncApiYaml } from './build-asyncapi.js';

const Shipment = z.object({ id: z.string(), carrier: z.enum(['ups', 'dhl']) }).meta({ title: 'Shipment' });

/** An app with one handler whose options the test chooses, on a wildcard subject; nothing of it connects. */
function appWith(handler: JetStreamEventOptions, options: JetStreamOptions = {}): DynamicModule {
  @Controller()
  class ShipmentsController {
    @JetStreamEvent('shipments.*.sent', handler)
    sent(): void {}
  }
  return {
    module: class ShipmentsModule {},
    imports: [
      JetStreamModule.forRoot({
        connection: { servers: 'nats://user:secret@nats.internal:4333' },
        serviceName: 'shipping',
        streams: [{ name: 'SHIPMENTS', subjects: ['shipments.>'], retention: 'workqueue' }],
        deadLetter: 'dead.{subject}',
        contract: { publishes: [{ subject: 'shipments.requested', schema: Shipment }] },
        ...options,
      }),
    ],
    controllers: [ShipmentsController],
  };
}

describe('buildAsyncApiDocument', () => {
  it('makes a valid AsyncAPI 3 document of the handlers, publishes and dead-letter routes, without connecting', async () => {
    const doc = await buildAsyncApiDocument(appWith({ schema: Shipment, maxDeliver: 4, backoff: ['1s', '10s'], ackWait: '45s' }));
    expect(await asyncApiProblems(renderAsyncApiYaml(doc))).toEqual([]);
    expect(await asyncApiProblems(renderAsyncApiJson(doc))).toEqual([]);
    expect(doc.info.title).toBe('shipping');
    // The server's host and port only: its credentials never reach the document.
    expect(doc.servers).toEqual({ nats: expect.objectContaining({ host: 'nats.internal:4333', protocol: 'nats' }) });
    expect(JSON.stringify(doc)).not.toContain('secret');
    expect(doc.channels.shipments_star_sent).toMatchObject({
      address: 'shipments.{token2}.sent',
      parameters: { token2: { description: expect.stringContaining('any one token') } },
      'x-jetstream-stream': { name: 'SHIPMENTS', retention: 'workqueue' },
    });
    expect(doc.operations.receive_shipping__shipments_star_sent).toMatchObject({
      action: 'receive',
      bindings: { nats: { queue: 'shipping__shipments_star_sent' } },
      'x-jetstream-consumer': {
        mode: 'shared',
        maxDeliver: 4,
        backoff: ['1s', '10s'],
        ackWait: '45s',
        deadLetter: 'dead.shipments.*.sent',
        stream: 'SHIPMENTS',
      },
    });
    expect(doc.operations.deadLetter_dead_shipments_star_sent).toMatchObject({
      action: 'send',
      messages: [{ $ref: '#/channels/dead_shipments_star_sent/messages/DeadLetter' }],
    });
    expect(doc.operations.send_shipments_requested).toMatchObject({ action: 'send' });
    expect(doc.components.messages.ShipmentsStarSent.payload).toMatchObject({ title: 'Shipment', properties: { carrier: { enum: ['ups', 'dhl'] } } });
  });

  it('changes when a handler changes', async () => {
    const before = renderAsyncApiYaml(await buildAsyncApiDocument(appWith({ maxDeliver: 4, backoff: ['1s'] })));
    const same = renderAsyncApiYaml(await buildAsyncApiDocument(appWith({ maxDeliver: 4, backoff: ['1s'] })));
    const after = renderAsyncApiYaml(await buildAsyncApiDocument(appWith({ maxDeliver: 2, backoff: ['1s'], mode: 'broadcast' })));
    expect(same).toBe(before);
    expect(after).not.toBe(before);
    expect(after).toContain('maxDeliver: 2');
    expect(after).toContain('mode: broadcast');
  });

  it('shows a handler without schema as any payload, and one without dead-letter route as terminated', async () => {
    const doc = await buildAsyncApiDocument(appWith({ deadLetter: false }));
    expect(doc.components.messages.ShipmentsStarSent.payload).toEqual({ description: expect.stringContaining('No schema declared') });
    expect(doc.operations.receive_shipping__shipments_star_sent.description).toContain('then terminated (no dead-letter route)');
    expect(Object.keys(doc.operations)).toEqual(['receive_shipping__shipments_star_sent', 'send_shipments_requested']);
  });

  it('refuses a module without JetStreamModule, and says what to do', async () => {
    await expect(buildAsyncApiDocument({ module: class Empty {} })).rejects.toThrow(/imports no JetStreamModule.*pass \{ jetStreamOptions \}/);
  });

  it('names channels and parameters after the subject', () => {
    expect(channelIdOf('orders.>')).toBe('orders_all');
    expect(addressOf('orders.>')).toEqual({ address: 'orders.{rest}', parameters: { rest: { description: expect.stringContaining('one or more tokens') } } });
    expect(addressOf('orders.created')).toEqual({ address: 'orders.created' });
  });
});
