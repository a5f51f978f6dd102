// The same small app for both Nest versions, with decorators applied by hand (plain JS):
// a handler that fails its first delivery and succeeds on the second, then a clean close.
const out = (event) => process.stdout.write(JSON.stringify(event) + '\n');

exports.describeApp = async function describeApp(nest) {
  const { Controller, Module, NestFactory, Ctx, Payload, JetStreamServer, JetStreamEvent, JetStreamClient } = nest;
  const servers = process.env.NATS_URL;
  const stream = process.env.STREAM;
  const prefix = process.env.SUBJECT_PREFIX;

  class EventsController {
    handle(data, ctx) {
      const delivery = ctx.getInfo().deliveryCount;
      out({ event: 'handled', id: data.id, delivery });
      if (delivery === 1) throw new Error('first delivery fails on purpose');
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(EventsController.prototype, 'handle');
  Payload()(EventsController.prototype, 'handle', 0);
  Ctx()(EventsController.prototype, 'handle', 1);
  JetStreamEvent(`${prefix}.evt`, { backoff: ['200ms'] })(EventsController.prototype, 'handle', descriptor);
  Controller()(EventsController);
  class AppModule {}
  Module({ controllers: [EventsController] })(AppModule);

  const strategy = new JetStreamServer({
    connection: { servers },
    serviceName: `compat-${process.pid}`,
    streams: [{ name: stream, subjects: [`${prefix}.>`], storage: 'memory' }],
  });
  const app = await NestFactory.createMicroservice(AppModule, { strategy, logger: false });
  await app.listen();
  const client = new JetStreamClient({ connection: { servers } });
  const ack = await client.publish(`${prefix}.evt`, { id: 'c1' }, { msgId: 'compat-c1' });
  out({ event: 'published', seq: ack.seq, nest: nest.nest, invocation: strategy.bindings[0].invocation });
  process.stdin.on('data', async () => {
    await client.close();
    await app.close();
    out({ event: 'closed' });
    process.exit(0);
  });
};
