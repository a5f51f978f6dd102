import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Transport } from '@nestjs/microservices';
import { MicroservicesModule } from '@nestjs/microservices/microservices-module.js';
import { JETSTREAM_TRANSPORT } from '../constants.js';
import { JetStreamEvent } from '../decorators/jetstream-event.decorator.js';
import { validateOptions } from '../config/validate-options.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { JetStreamServer } from './jetstream.server.js';
import { capturedByDeclared, describeCaptures, requestPatterns, type RequestPattern } from './request-subjects.js';

@Controller()
class MixedController {
  @MessagePattern('acc.get')
  get() {}

  @MessagePattern(['acc.list', 'acc.*.peek'], Transport.NATS)
  many() {}

  @MessagePattern({ cmd: 'sum' })
  sum() {}

  @MessagePattern('acc.tcp', Transport.TCP)
  tcp() {}

  @MessagePattern('acc.own', JETSTREAM_TRANSPORT)
  own(_data: unknown) {}

  @EventPattern('acc.changed')
  changed(_data: unknown) {}

  @JetStreamEvent('acc.stored')
  stored(_data: unknown) {}
}

/** The shape of Nest's container that the check reads. */
const containerOf = (...instances: object[]) => ({
  getModules: () => new Map([['AppModule', { controllers: new Map(instances.map((instance, i) => [i, { instance }])) }]]),
});

const pattern = (subject: string): RequestPattern => ({ subject, handler: 'C.m' });

describe('request subjects in streams', () => {
  it('reads every string @MessagePattern served over NATS, whatever server it is bound to', () => {
    expect(requestPatterns(containerOf(new MixedController())).map((p) => `${p.subject} ${p.handler}`)).toEqual([
      'acc.get MixedController.get',
      'acc.list MixedController.many',
      'acc.*.peek MixedController.many',
    ]);
    expect(requestPatterns(undefined)).toEqual([]);
  });

  it('finds the declared streams capturing a pattern, wildcards by overlap, with the subjects that do', () => {
    const streams = [
      { name: 'ACC', subjects: ['acc.>', 'ledger.*'] },
      { name: 'PEEK', subjects: ['acc2.b.peek', 'acc2.c.peek', 'acc2.b.get'] },
    ];
    const found = capturedByDeclared([pattern('acc.get'), pattern('acc2.*.peek'), pattern('acc'), pattern('ledger.a.b')], streams);
    expect(found).toEqual([
      { subject: 'acc.get', handler: 'C.m', stream: 'ACC', by: ['acc.>'] },
      { subject: 'acc2.*.peek', handler: 'C.m', stream: 'PEEK', by: ['acc2.b.peek', 'acc2.c.peek'] },
    ]);
  });

  it('says how to fix it; only the error offers the warning mode', () => {
    const captured = [
      { ...pattern('acc.get'), stream: 'ACC', by: ['acc.>'] },
      { ...pattern('x.y'), stream: 'XS' },
    ];
    const error = describeCaptures(captured, 'error');
    expect(error).toContain(
      'capture 2 @MessagePattern subject(s): "acc.get" (C.m) by stream ACC (its subject "acc.>"); "x.y" (C.m) by stream XS (on the server, not in options.streams).',
    );
    expect(error).toContain("set requestSubjectsInStreams: 'warn'");
    expect(describeCaptures(captured, 'warn')).not.toContain('requestSubjectsInStreams');
    expect(error).not.toContain('\n');
  });

  it("takes requestSubjectsInStreams 'error' or 'warn' and refuses anything else, naming it", () => {
    const check = (value: unknown) => () => validateOptions({ requestSubjectsInStreams: value } as JetStreamOptions, 'JetStreamServer');
    expect(check('warn')).not.toThrow();
    expect(check('error')).not.toThrow();
    expect(check('off')).toThrow(/JetStreamServer: requestSubjectsInStreams is "off"; use 'error' .* or 'warn'/);
  });

  it("never wraps Nest's listener setup (the app's container comes from the registration of the handlers)", async () => {
    const setup = (MicroservicesModule.prototype as unknown as Record<string, unknown>).setupListeners;
    const server = new JetStreamServer({ serviceName: 'patches' });
    expect((MicroservicesModule.prototype as unknown as Record<string, unknown>).setupListeners).toBe(setup);
    await server.close();
    expect((MicroservicesModule.prototype as unknown as Record<string, unknown>).setupListeners).toBe(setup);
  });
});
