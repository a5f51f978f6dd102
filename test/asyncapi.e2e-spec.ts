import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { buildAsyncApiDocument, renderAsyncApiYaml } from '@nest-jetstream/transport/asyncapi';
import { exampleDocuments } from '../examples/demo/asyncapi-documents';
import { asyncApiProblems } from './contracts/asyncapi-parse';

// The example services' AsyncAPI documents, made from their modules (nothing connects): valid for
// the AsyncAPI parser, and the same as the checked-in examples/<service>/asyncapi.yaml (regenerate
// with `npm run asyncapi -- --write` after changing a handler, a schema or a publish).
describe('the example services’ AsyncAPI documents', () => {
  const services = exampleDocuments();

  it.each(services.map((s) => [s.service, s] as const))('%s: passes @asyncapi/parser with no error or warning', async (_name, { module }) => {
    const text = renderAsyncApiYaml(await buildAsyncApiDocument(module));
    expect(await asyncApiProblems(text)).toEqual([]);
  });

  it.each(services.map((s) => [s.service, s] as const))('%s: is the checked-in document (no drift)', async (_name, { module, file }) => {
    const text = renderAsyncApiYaml(await buildAsyncApiDocument(module));
    const checkedIn = readFileSync(file, 'utf8');
    if (text !== checkedIn) {
      throw new Error(`${relative(process.cwd(), file)} is not the document the service makes now: run \`npm run asyncapi -- --write\` and commit it.`);
    }
  });

  it('documents every handler, publish and dead-letter route of both services', async () => {
    const [orders, inventory] = await Promise.all(services.map((s) => buildAsyncApiDocument(s.module)));
    expect(
      Object.values(orders.channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual([
      'deadletter.inventory.rejected',
      'deadletter.inventory.reserved',
      'deadletter.orders.created',
      'inventory.rejected',
      'inventory.reserved',
      'orders.created',
    ]);
    expect(Object.values(inventory.operations).map((o) => `${o.action} ${o.channel.$ref}`)).toEqual([
      'receive #/channels/orders_created',
      'send #/channels/deadletter_orders_created',
      'receive #/channels/inventory_stock_received',
      'send #/channels/deadletter_inventory_stock_received',
      'send #/channels/inventory_reserved',
      'send #/channels/inventory_rejected',
    ]);
    expect(inventory.components.messages.OrdersCreated.payload).toMatchObject({ title: 'OrderCreatedDto', 'x-schema-vendor': 'class-validator' });
    expect(orders.components.messages.OrdersCreated.payload).toMatchObject({ title: 'OrderCreated', 'x-schema-vendor': 'zod' });
    // orders reads inventory's dead letters of orders.created: the dead-letter message, with its header contract.
    expect(orders.channels.deadletter_orders_created.messages).toEqual({ DeadLetter: { $ref: '#/components/messages/DeadLetter' } });
    expect(Object.keys(orders.components.messages.DeadLetter.headers?.properties as object)).toContain('Dead-Letter-Reason');
  });
});
