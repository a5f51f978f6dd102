import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamOptions } from '../interfaces/jetstream-options.interface.js';
import { validateOptions } from './validate-options.js';

const check = (options: unknown) => () => validateOptions(options as JetStreamOptions, 'JetStreamServer');

describe('validateOptions', () => {
  it('accepts the documented options', () => {
    expect(
      check({
        serviceName: 'billing',
        provisioning: 'verify',
        streams: [{ name: 'ORDERS', subjects: ['orders.>'], retention: 'workqueue', replicas: 3, maxAge: '7d' }],
      }),
    ).not.toThrow();
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

  it("names values JSON cannot show (found by the fault suite's fuzzing): BigInts, objects without a prototype", () => {
    expect(check({ provisioning: 5n })).toThrow(/provisioning must be one of .*; got "5n"/);
    expect(check({ serviceName: Object.create(null) })).toThrow(JetStreamConfigError);
    expect(check({ streams: [{ name: 'S', subjects: ['s.>'], storage: Object.create(null) }] })).toThrow(/streams\["S"\]\.storage is \{\}/);
  });

  it('refuses an unknown option, suggesting the near one', () => {
    expect(check({ provisoning: 'verify' })).toThrow(/unknown option "provisoning" \(did you mean "provisioning"\?\)/);
    expect(check({ whatever: 1 })).toThrow(/unknown option "whatever"\. The options are connection, serviceName/);
    expect(check({ consumerDefault: {} })).toThrow(/unknown option "consumerDefault" \(did you mean "consumerDefaults"\?\)/);
  });

  it('checks stream enums, durations and replicas at construction, naming the stream and field', () => {
    expect(check({ streams: [{ name: 'S', subjects: ['s.>'], retention: 'workqueues' }] })).toThrow(
      /streams\["S"\]\.retention is "workqueues"; use one of "limits", "interest", "workqueue"/,
    );
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

  it('refuses an unknown key at every level, naming its path and the nearest valid name', () => {
    expect(check({ consumerDefaults: { maxDelivery: 3 } })).toThrow(
      /^JetStreamServer: unknown option "consumerDefaults\.maxDelivery" \(did you mean "consumerDefaults\.maxDeliver"\?\)\. The options of consumerDefaults are ackWait, maxDeliver/,
    );
    expect(check({ publish: { retrybudget: '5s' } })).toThrow(/unknown option "publish\.retrybudget" \(did you mean "publish\.retryBudget"\?\)/);
    expect(check({ health: { storageUsageMx: 0.5 } })).toThrow(/unknown option "health\.storageUsageMx" \(did you mean "health\.storageUsageMax"\?\)/);
    expect(check({ health: { maxPendng: 5 } })).toThrow(/unknown option "health\.maxPendng" \(did you mean "health\.maxPending"\?\)/);
    expect(check({ deadLetterAdvisories: { replica: 3 } })).toThrow(
      /unknown option "deadLetterAdvisories\.replica" \(did you mean "deadLetterAdvisories\.replicas"\?\)/,
    );
    expect(check({ streams: [{ name: 'S', subjects: ['s.>'], maxage: '1d' }] })).toThrow(
      /unknown option "streams\["S"\]\.maxage" \(did you mean "streams\["S"\]\.maxAge"\?\)/,
    );
    expect(check({ consumerDefaults: { totallyElse: 1 } })).toThrow(/unknown option "consumerDefaults\.totallyElse"\. The options of consumerDefaults are/);
  });

  it('checks consumerDefaults at construction: durations, counts, enums, the nak schedule', () => {
    expect(check({ consumerDefaults: { ackWait: '10 sec' } })).toThrow(
      /JetStreamServer: consumerDefaults\.ackWait must be milliseconds or a string like '500ms'.*got "10 sec"/,
    );
    expect(check({ consumerDefaults: { ackWait: 0 } })).toThrow(/consumerDefaults\.ackWait must be more than 0; got 0/);
    expect(check({ consumerDefaults: { concurrency: 0 } })).toThrow(/consumerDefaults\.concurrency must be a whole number ≥ 1; got 0/);
    expect(check({ consumerDefaults: { prefetch: 1.5 } })).toThrow(/consumerDefaults\.prefetch must be a whole number ≥ 1; got 1\.5/);
    expect(check({ consumerDefaults: { deliverPolicy: 'latest' } })).toThrow(/consumerDefaults\.deliverPolicy must be one of 'all', 'new'.*got "latest"/);
    expect(check({ consumerDefaults: { backoff: ['1s', 0] } })).toThrow(/consumerDefaults\.backoff\[1\] is 0: a failed attempt would be redelivered at once/);
    expect(check({ consumerDefaults: { poisonErrors: ['TypeError'] } })).toThrow(/consumerDefaults\.poisonErrors\[0\] must be a function; got "TypeError"/);
    expect(check({ consumerDefaults: { ackWait: '1.5m', maxDeliver: 3, backoff: ['1s'], handlerTimeout: '2h', poisonErrors: [TypeError] } })).not.toThrow();
  });

  it('range-checks ratios and counts, and checks durations and URLs, in health and publish', () => {
    expect(check({ health: { storageUsageMax: 5 } })).toThrow(
      /JetStreamServer: health\.storageUsageMax must be a fraction more than 0 and at most 1 \(e\.g\. 0\.9 for 90 %\); got 5/,
    );
    expect(check({ health: { storageUsageMax: 0 } })).toThrow(/health\.storageUsageMax must be a fraction/);
    expect(check({ health: { maxPending: -1 } })).toThrow(/health\.maxPending must be a whole number ≥ 1; got -1/);
    expect(check({ health: { deadLetterMaxDepth: 2.5 } })).toThrow(/health\.deadLetterMaxDepth must be a whole number ≥ 0/);
    expect(check({ health: { monitorUrl: 'nats:8222' } })).toThrow(/health\.monitorUrl must be the monitoring endpoint's http\(s\) URL/);
    expect(check({ health: { stream: 'has.dot' } })).toThrow(/health\.stream "has\.dot" is invalid/);
    expect(check({ publish: { timeout: '0s' } })).toThrow(/publish\.timeout must be more than 0/);
    expect(
      check({ health: { storageUsageMax: 1, maxPending: 1, deadLetterMaxDepth: 0, monitorUrl: 'http://nats:8222', cacheTtl: 0 }, publish: { retryBudget: 0 } }),
    ).not.toThrow();
  });

  it('checks stream declarations: counts (-1 is unlimited), flags, replicas', () => {
    const stream = (over: object) => ({ streams: [{ name: 'S', subjects: ['s.>'], ...over }] });
    expect(check(stream({ maxMsgs: -2 }))).toThrow(/streams\["S"\]\.maxMsgs must be a whole number ≥ -1; got -2/);
    expect(check(stream({ maxBytes: 1.5 }))).toThrow(/streams\["S"\]\.maxBytes must be a whole number ≥ -1/);
    expect(check(stream({ denyDelete: 'yes' }))).toThrow(/streams\["S"\]\.denyDelete must be true or false; got "yes"/);
    expect(check(stream({ subjects: 's.>' }))).toThrow(/streams\["S"\]\.subjects must be an array of subjects/);
    expect(check(stream({ replicas: 7 }))).toThrow(/streams\["S"\]\.replicas is 7; use 1, 3 or 5/);
    expect(check(stream({ maxMsgs: -1, maxBytes: 1024, extra: { compression: 's2' } }))).not.toThrow();
  });

  it('checks the dead-letter subject, the advisories and the instrumentations at construction', () => {
    expect(check({ deadLetter: 'dlq.{subjekt}' })).toThrow(/JetStreamServer: deadLetter "dlq\.\{subjekt\}" is invalid: it has a placeholder other than/);
    expect(check({ deadLetter: true })).toThrow(/deadLetter true is invalid: not a string/);
    expect(check({ deadLetterAdvisories: 'on' })).toThrow(/deadLetterAdvisories must be true, false or \{ replicas \}; got "on"/);
    expect(check({ deadLetterAdvisories: { replicas: 6 } })).toThrow(/deadLetterAdvisories\.replicas is 6; use 1, 3 or 5/);
    expect(check({ metrics: 'prometheus' })).toThrow(/metrics must be new JetStreamMetrics\(\{ registry \}\)/);
    expect(check({ tracing: { attach: 1 } })).toThrow(/tracing must be new JetStreamTracing\(\)/);
    expect(check({ deadLetter: 'dlq.{subject}', deadLetterAdvisories: { replicas: 3 }, metrics: { attach: () => undefined } })).not.toThrow();
  });

  it('refuses a tls:// URL with TLS turned off', () => {
    expect(check({ connection: { servers: 'tls://nats:4222', tls: null } })).toThrow(/connection\.servers has a tls:\/\/ URL, but connection\.tls is null/);
  });
});
