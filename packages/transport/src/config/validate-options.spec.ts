import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { validateOptions } from './validate-options.js';

const check = (options: unknown) => () => validateOptions(options as JetStreamOptions, 'JetStreamServer');

describe('validateOptions', () => {
  it('accepts the documented options', () => {
    expect(check({ serviceName: 'billing', provisioning: 'verify', streams: [{ name: 'ORDERS', subjects: ['orders.>'], retention: 'workqueue', replicas: 3, maxAge: '7d' }] })).not.toThrow();
    expect(check({})).not.toThrow();
  });

  it('refuses a misspelt provisioning mode instead of falling through to creating streams', () => {
    expect(check({ provisioning: 'verfy' })).toThrow(JetStreamConfigError);
    expect(check({ provisioning: 'verfy' })).toThrow(/JetStreamServer: provisioning must be one of 'create-or-update', 'verify', 'off'; got "verfy"/);
  });

  it('refuses an object option that is not an object, and a codec without encode/decode, naming them', () => {
    expect(check({ publish: null })).toThrow(/JetStreamServer: publish must be an object; got null/);
    expect(check({ consumerDefaults: [1] })).toThrow(/consumerDefaults must be an object; got \[1\]/);
    expect(check({ health: 'fast' })).toThrow(/health must be an object; got "fast"/);
    expect(check({ codec: { encode: () => 1 } })).toThrow(/codec must have encode\(\) and decode\(\)/);
  });

  it('names values JSON cannot show (found by the fault suite\'s fuzzing): BigInts, objects without a prototype', () => {
    expect(check({ provisioning: 5n })).toThrow(/provisioning must be one of .*; got "5n"/);
    expect(check({ serviceName: Object.create(null) })).toThrow(JetStreamConfigError);
    expect(check({ streams: [{ name: 'S', subjects: ['s.>'], storage: Object.create(null) }] })).toThrow(/streams\["S"\]\.storage is \{\}/);
  });

  it('refuses an unknown option, suggesting the near one', () => {
    expect(check({ provisoning: 'verify' })).toThrow(/unknown option "provisoning" \(did you mean "provisioning"\?\)/);
    expect(check({ whatever: 1 })).toThrow(/unknown option "whatever"\. The options are connection, serviceName/);
  });

  it('checks stream enums, durations and replicas at construction, naming the stream and field', () => {
    expect(check({ streams: [{ name: 'S', subjects: ['s.>'], retention: 'workqueues' }] })).toThrow(/streams\["S"\]\.retention is "workqueues"; use one of "limits", "interest", "workqueue"/);
    expect(check({ streams: [{ name: 'S', subjects: ['s.>'], storage: 'disk' }] })).toThrow(/streams\["S"\]\.storage is "disk"/);
    expect(check({ streams: [{ name: 'S', subjects: ['s.>'], maxAge: '7 days' }] })).toThrow(/streams\["S"\]\.maxAge must be milliseconds/);
    expect(check({ streams: [{ name: 'S', subjects: ['s.>'], replicas: 2.5 }] })).toThrow(/streams\["S"\]\.replicas is 2.5/);
    expect(check({ streams: { name: 'S' } })).toThrow(/streams must be an array/);
  });

  it('checks the service name, the flags and the shutdown timeout', () => {
    expect(check({ serviceName: 'my service' })).toThrow(/serviceName "my service" is invalid/);
    expect(check({ directCalls: 'no' })).toThrow(/directCalls must be true or false; got "no"/);
    expect(check({ shutdownTimeout: 'long' })).toThrow(/shutdownTimeout must be milliseconds/);
  });
});
