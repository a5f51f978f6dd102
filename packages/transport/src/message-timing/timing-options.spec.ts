import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { ProvisioningError } from '../errors/provisioning.error.js';
import { PublishOptionUnsupportedError } from '../errors/publish-option-unsupported.error.js';
import { toStreamConfig } from '../config/stream-config.js';
import { readTimingOptions, serverProblem, streamProblem, toTtlHeader, type StreamTimingFacts } from './timing-options.js';
import { assertDeclaredTimingSupported } from './timing-streams.js';

const stream = (over: Partial<StreamTimingFacts> = {}): StreamTimingFacts => ({
  name: 'ORDERS',
  allowMsgTtl: true,
  allowMsgSchedules: true,
  retention: 'limits',
  subjects: ['orders.>', '_sched.ORDERS.>'],
  ...over,
});

describe('toTtlHeader', () => {
  it('writes whole seconds as seconds and the rest in milliseconds', () => {
    expect(toTtlHeader('30s')).toBe('30s');
    expect(toTtlHeader(90_000)).toBe('90s');
    expect(toTtlHeader('1500ms')).toBe('1500ms');
    expect(toTtlHeader('never')).toBe('never');
  });

  it('refuses what the server would refuse: under 1s, and values that are no duration', () => {
    expect(() => toTtlHeader('999ms')).toThrow(JetStreamConfigError);
    expect(() => toTtlHeader('999ms')).toThrow(/publish ttl is "999ms".*'1s'/);
    expect(() => toTtlHeader('soon' as never)).toThrow(/publish ttl must be/);
  });
});

describe('readTimingOptions', () => {
  it('turns delay into a deliverAt from now, and names the option that asked', () => {
    expect(readTimingOptions({ delay: '10s' }, 1_000)).toEqual({ deliverAt: new Date(11_000), scheduleOption: 'delay' });
    const at = new Date(5_000);
    expect(readTimingOptions({ deliverAt: at, ttl: '1m' })).toEqual({ deliverAt: at, scheduleOption: 'deliverAt', ttl: '60s' });
  });

  it('refuses both deliverAt and delay, and a deliverAt that is no date', () => {
    expect(() => readTimingOptions({ deliverAt: new Date(), delay: '1s' })).toThrow(/both deliverAt .* and delay/);
    expect(() => readTimingOptions({ deliverAt: new Date('nope') })).toThrow(/deliverAt is an invalid Date; give a valid Date/);
    expect(() => readTimingOptions({ deliverAt: '2030-01-01' as unknown as Date })).toThrow(/deliverAt is "2030-01-01"/);
  });
});

describe('serverProblem', () => {
  it('names the server version and the minimum, for the option given', () => {
    const ttl = serverProblem('orders.a', { ttl: '5s' }, '2.10.22');
    expect(ttl).toBeInstanceOf(PublishOptionUnsupportedError);
    expect(ttl).toMatchObject({ code: 'PUBLISH_OPTION_UNSUPPORTED', option: 'ttl', serverVersion: '2.10.22', minServerVersion: '2.11.0' });
    expect(ttl?.message).toMatch(/"orders\.a" with ttl: nats-server 2\.10\.22 has no per-message TTL: it needs nats-server 2\.11\.0 or newer/);
    const delayed = serverProblem('orders.a', { deliverAt: new Date(), scheduleOption: 'delay' }, '2.11.4');
    expect(delayed).toMatchObject({ option: 'delay', minServerVersion: '2.12.0' });
  });

  it('lets through what the server has, and an unknown version (the stream decides)', () => {
    expect(serverProblem('orders.a', { ttl: '5s' }, '2.11.0')).toBeUndefined();
    expect(serverProblem('orders.a', { ttl: '5s', deliverAt: new Date(), scheduleOption: 'deliverAt' }, '2.12.0')).toBeUndefined();
    expect(serverProblem('orders.a', { ttl: '5s' }, undefined)).toBeUndefined();
  });
});

describe('streamProblem', () => {
  it('names the stream and the missing setting, and how to turn it on', () => {
    const ttl = streamProblem('orders.a', { ttl: '5s' }, stream({ allowMsgTtl: false }));
    expect(ttl).toMatchObject({ option: 'ttl', stream: 'ORDERS', setting: 'allow_msg_ttl' });
    expect(ttl?.message).toMatch(/stream ORDERS does not allow per-message TTL .* allowMsgTtl: true/);
    const sched = streamProblem('orders.a', { deliverAt: new Date(), scheduleOption: 'deliverAt' }, stream({ allowMsgSchedules: false }));
    expect(sched).toMatchObject({ option: 'deliverAt', setting: 'allow_msg_schedules' });
  });

  it('refuses a schedule on an interest stream, or one not capturing the schedule subjects', () => {
    const asked = { deliverAt: new Date(), scheduleOption: 'delay' as const };
    expect(streamProblem('orders.a', asked, stream({ retention: 'interest' }))).toMatchObject({ setting: 'retention' });
    expect(streamProblem('orders.a', asked, stream({ subjects: ['orders.>'] }))?.message).toMatch(/does not capture "_sched\.ORDERS\.>"/);
    expect(streamProblem('orders.a', asked, stream({ subjects: ['orders.>', '_sched.>'] }))).toBeUndefined();
  });

  it('a schedule with a ttl needs allow_msg_ttl too', () => {
    expect(streamProblem('orders.a', { ttl: '5s', deliverAt: new Date(), scheduleOption: 'deliverAt' }, stream({ allowMsgTtl: false }))).toMatchObject({
      option: 'ttl',
    });
  });
});

describe('stream declarations', () => {
  it('allowMsgSchedules adds the schedule subjects and rollups; allowMsgTtl its field; false writes nothing', () => {
    const cfg = toStreamConfig({ name: 'ORDERS', subjects: ['orders.>'], allowMsgTtl: true, allowMsgSchedules: true });
    expect(cfg).toMatchObject({ allow_msg_ttl: true, allow_msg_schedules: true, allow_rollup_hdrs: true, subjects: ['orders.>', '_sched.ORDERS.>'] });
    const off = toStreamConfig({ name: 'ORDERS', subjects: ['orders.>'], allowMsgTtl: false, allowMsgSchedules: false });
    expect(off).not.toHaveProperty('allow_msg_ttl');
    expect(off).not.toHaveProperty('allow_msg_schedules');
  });

  it('refuses schedules the server would never fire or would change back', () => {
    expect(() => toStreamConfig({ name: 'O', subjects: ['o.>'], retention: 'interest', allowMsgSchedules: true })).toThrow(
      /streams\["O"\]\.allowMsgSchedules cannot be used here: interest retention/,
    );
    expect(() => toStreamConfig({ name: 'O', subjects: ['o.>'], allowRollup: false, allowMsgSchedules: true })).toThrow(/remove allowRollup: false/);
    expect(() => toStreamConfig({ name: 'O', subjects: ['o.>'], allowMsgTtl: 'yes' as unknown as boolean })).toThrow(/allowMsgTtl is "yes"; use true or false/);
  });

  it('a server too old for a declared setting fails boot naming the stream, setting, version and minimum', () => {
    const decl = [
      { name: 'A', subjects: ['a.>'], allowMsgTtl: true },
      { name: 'B', subjects: ['b.>'], extra: { allow_msg_schedules: true } },
    ];
    expect(() => assertDeclaredTimingSupported(decl, '2.9.10')).toThrow(ProvisioningError);
    expect(() => assertDeclaredTimingSupported(decl, '2.9.10')).toThrow(
      /nats-server 2\.9\.10 cannot provide[\s\S]*stream A: allowMsgTtl \(allow_msg_ttl, per-message TTL\) needs nats-server 2\.11\.0[\s\S]*stream B: allowMsgSchedules .* 2\.12\.0/,
    );
    expect(() => assertDeclaredTimingSupported(decl, '2.12.0')).not.toThrow();
  });
});
