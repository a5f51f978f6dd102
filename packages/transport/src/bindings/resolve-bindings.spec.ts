import { InvalidSubjectError } from '../errors/input.errors.js';
import { resolveBinding } from './resolve-bindings.js';
import { bindingInfo, type HandlerBinding } from './handler-binding.js';
import { RawCodec } from '../codecs/raw.codec.js';

const handler = async () => undefined;

describe('resolveBinding', () => {
  it('applies library defaults, then consumerDefaults, then handler options', () => {
    const b = resolveBinding('orders.created', { maxDeliver: 7 }, handler, { defaults: { ackWait: '10s', concurrency: 2 }, serviceName: 'billing' });
    expect(b).toMatchObject({
      subject: 'orders.created',
      durable: 'billing__orders_created',
      ackWaitMs: 10_000,
      maxDeliver: 7,
      backoffMs: [1000, 5000, 30_000],
      concurrency: 2,
      maxAckPending: 1000,
      deliverPolicy: 'all',
      manualAck: false,
    });
  });

  it('names the handler and the option in every error', () => {
    expect(() => resolveBinding('a.b', { maxDeliver: 0 }, handler, { serviceName: 's' })).toThrow(
      /@JetStreamEvent\('a\.b'\): maxDeliver must be a whole number ≥ 1; got 0/,
    );
    expect(() => resolveBinding('a.b', { concurrency: 50, maxAckPending: 10 }, handler, { serviceName: 's' })).toThrow(
      /maxAckPending \(10\) is below concurrency \(50\)/,
    );
    expect(() => resolveBinding('a.b', { deliverPolicy: 'by_start_sequence' }, handler, { serviceName: 's' })).toThrow(/needs optStartSeq/);
    expect(() => resolveBinding('a..b', {}, handler, { serviceName: 's' })).toThrow(/subject is invalid: it has an empty token/);
    expect(() => resolveBinding('a.b', { durable: 'has.dot' }, handler, { serviceName: 's' })).toThrow(/durable "has\.dot" is invalid/);
    expect(() => resolveBinding('a.b', { ackWait: 'soon' as never }, handler, { serviceName: 's' })).toThrow(/ackWait must be milliseconds/);
  });

  it("takes a handler's own codec, shows its class name in the bindings, and refuses what cannot decode", () => {
    const codec = new RawCodec();
    const b = resolveBinding('dlq.>', { codec, deadLetter: false }, handler, { serviceName: 's' });
    expect(b.codec).toBe(codec);
    expect(bindingInfo({ ...b, stream: 'DLQ' } as HandlerBinding).codec).toBe('RawCodec');
    expect(resolveBinding('a.b', {}, handler, { serviceName: 's' }).codec).toBeUndefined();
    expect(() => resolveBinding('dlq.>', { codec: RawCodec as never }, handler, { serviceName: 's' })).toThrow(
      /@JetStreamEvent\('dlq\.>'\): codec must be a codec instance with decode\(\) \(e\.g\. codec: new RawCodec\(\).*got the class RawCodec: pass an instance, new RawCodec\(\)\./,
    );
    expect(() => resolveBinding('a.b', { codec: 'raw' as never }, handler, { serviceName: 's' })).toThrow(
      /@JetStreamEvent\('a\.b'\): codec must be a codec instance.*got "raw"/,
    );
    expect(() => resolveBinding('a.b', { codec: { encode: () => new Uint8Array() } as never }, handler, { serviceName: 's' })).toThrow(
      /codec must be a codec instance with decode\(\)/,
    );
    expect(() => resolveBinding('a.b', { codec: { decode: (x: Uint8Array) => x, decodeInputs: true } as never }, handler, { serviceName: 's' })).toThrow(
      /codec must be a codec instance/,
    );
    expect(() => resolveBinding('a.b', { codec: null as never }, handler, { serviceName: 's' })).toThrow(/codec must be a codec instance.*got null/);
  });

  it.each([
    'orders created',
    'orders..created',
    '.orders',
    'orders.',
    'orders.\r\n',
    'orders.\x00',
    'orders.a*',
    'orders.>.x',
    '',
    `orders.${'x'.repeat(4000)}`,
  ])('refuses invalid handler pattern #%# with InvalidSubjectError naming it', (subject) => {
    const err = (() => {
      try {
        resolveBinding(subject, {}, handler, { serviceName: 's' });
      } catch (e) {
        return e;
      }
    })() as InvalidSubjectError;
    expect(err).toBeInstanceOf(InvalidSubjectError);
    expect(err.subject).toBe(subject);
    expect(err.use).toBe('handler');
    expect(err.message).toMatch(/^@JetStreamEvent\(".*\): the subject is invalid: /);
    // Named by class and method, like every other handler error.
    const owned = (() => {
      try {
        resolveBinding(subject, {}, handler, { serviceName: 's', deadLetterDefault: false, owner: 'OrdersController.onCreated' });
      } catch (e) {
        return e;
      }
    })() as InvalidSubjectError;
    expect(owned).toBeInstanceOf(InvalidSubjectError);
    expect(owned.message).toMatch(/^@JetStreamEvent\(".*\) on OrdersController\.onCreated: the subject is invalid: /);
    // eslint-disable-next-line no-control-regex
    expect(err.message).not.toMatch(/[\r\n\x00]/);
  });

  it('resolves the modes, and refuses what a mode cannot do', () => {
    expect(resolveBinding('a.b', {}, handler, { serviceName: 's' })).toMatchObject({ mode: 'shared', deliverPolicy: 'all' });
    expect(resolveBinding('a.b', { mode: 'broadcast' }, handler, { defaults: { deliverPolicy: 'all' }, serviceName: 's' })).toMatchObject({
      mode: 'broadcast',
      deliverPolicy: 'new',
      inactiveThresholdMs: 60_000,
    });
    expect(resolveBinding('a.b', { mode: 'ordered', deliverPolicy: 'all', inactiveThreshold: '5s' }, handler, { serviceName: 's' })).toMatchObject({
      concurrency: 1,
      deliverPolicy: 'all',
      inactiveThresholdMs: 5000,
    });
    expect(() => resolveBinding('a.b', { mode: 'fanout' as never }, handler, { serviceName: 's' })).toThrow(
      /mode must be one of 'shared', 'broadcast', 'ordered', 'push'; got "fanout"/,
    );
    expect(() => resolveBinding('a.b', { mode: 'ordered', concurrency: 4 }, handler, { serviceName: 's' })).toThrow(/one message at a time.*concurrency 4/);
    expect(() => resolveBinding('a.b', { mode: 'ordered', manualAck: true }, handler, { serviceName: 's' })).toThrow(/no acks.*remove manualAck/);
    expect(() => resolveBinding('a.b', { mode: 'ordered', deliverPolicy: 'last' }, handler, { serviceName: 's' })).toThrow(
      /deliverPolicy 'last' is not supported/,
    );
    // What an ordered consumer cannot use is refused, naming the option and the fix, not silently ignored.
    for (const [option, value] of [
      ['handlerTimeout', '2s'],
      ['ackWait', '10s'],
      ['maxAckPending', 20],
    ] as const) {
      expect(() =>
        resolveBinding('a.b', { mode: 'ordered', [option]: value }, handler, { serviceName: 's', deadLetterDefault: false, owner: 'Ledger.onEntry' }),
      ).toThrow(
        new RegExp(
          `^@JetStreamEvent\\('a\\.b'\\) on Ledger\\.onEntry: mode 'ordered' .*, so ${option} would be ignored; remove ${option}, or use mode 'shared'\\.$`,
        ),
      );
      expect(resolveBinding('a.b', { [option]: value }, handler, { serviceName: 's' })).toMatchObject({ mode: 'shared' });
    }
    // consumerDefaults apply to the other handlers: an ordered one ignores them without complaint, and keeps prefetch.
    expect(
      resolveBinding('a.b', { mode: 'ordered', prefetch: 50 }, handler, {
        defaults: { ackWait: '10s', handlerTimeout: '1m', maxAckPending: 20 },
        serviceName: 's',
      }),
    ).toMatchObject({
      mode: 'ordered',
      prefetch: 50,
    });
    expect(() => resolveBinding('a.b', { inactiveThreshold: '1m' }, handler, { serviceName: 's' })).toThrow(
      /inactiveThreshold applies to mode 'broadcast' and 'ordered'/,
    );
  });

  it('refuses a backoff that would loop hot or never be used, naming the handler', () => {
    expect(() => resolveBinding('a.b', { backoff: [] }, handler, { serviceName: 's' })).toThrow(/@JetStreamEvent\('a\.b'\): backoff must be a non-empty array/);
    expect(() => resolveBinding('a.b', { backoff: ['1s', '0ms'] }, handler, { serviceName: 's' })).toThrow(
      /backoff\[1\] is 0: a failed attempt would be redelivered at once/,
    );
    expect(() => resolveBinding('a.b', {}, handler, { defaults: { backoff: [0] }, serviceName: 's' })).toThrow(/backoff\[0\] is 0/);
    expect(() => resolveBinding('a.b', { maxDeliver: 2, backoff: ['1s', '5s'] }, handler, { serviceName: 's' })).toThrow(
      /lists 2 delays, but maxDeliver 2 allows only 1 redelivery/,
    );
    expect(() => resolveBinding('a.b', { backoff: 'soon' as never }, handler, { serviceName: 's' })).toThrow(/backoff must be a non-empty array/);
    // The module-wide schedule may be longer than one handler's attempts.
    expect(resolveBinding('a.b', { maxDeliver: 2 }, handler, { serviceName: 's' }).backoffMs).toEqual([1000, 5000, 30_000]);
    expect(resolveBinding('a.b', { maxDeliver: 1, backoff: [] }, handler, { serviceName: 's' }).backoffMs).toEqual([]);
  });

  it('refuses an unknown or mistyped handler option, naming the handler by subject, class and method', () => {
    // Options from a variable, or from JavaScript: the compiler did not see them.
    const fromConfig: Record<string, unknown> = { maxDelivery: 3 };
    const at = (options: Record<string, unknown>) => () =>
      resolveBinding('orders.created', options as never, handler, { serviceName: 's', deadLetterDefault: false, owner: 'OrdersController.onCreated' });
    expect(at(fromConfig)).toThrow(
      /^@JetStreamEvent\('orders\.created'\) on OrdersController\.onCreated: unknown option "maxDelivery" \(did you mean "maxDeliver"\?\)\. The options are ackWait, maxDeliver/,
    );
    expect(at({ lag: { maxPendng: 5 } })).toThrow(/OrdersController\.onCreated: unknown option "lag\.maxPendng" \(did you mean "lag\.maxPending"\?\)/);
    expect(at({ ackWait: '10 sec' })).toThrow(/OrdersController\.onCreated: ackWait must be milliseconds or a string like/);
    expect(at({ manualAck: 'yes' })).toThrow(/OrdersController\.onCreated: manualAck must be true or false; got "yes"/);
    expect(at({ stream: 'ORDERS.V2' })).toThrow(/OrdersController\.onCreated: stream "ORDERS\.V2" is invalid/);
    expect(at({ deadLetter: 'dlq.{subjec}' })).toThrow(/OrdersController\.onCreated: deadLetter "dlq\.\{subjec\}" is invalid/);
    expect(() =>
      resolveBinding('orders.created', 'shared' as never, handler, { serviceName: 's', deadLetterDefault: false, owner: 'OrdersController.onCreated' }),
    ).toThrow(/OrdersController\.onCreated: the options must be an object; got "shared"/);
  });

  it('keeps a named connection (not the default one) and refuses one the connections option does not declare', () => {
    const ctx = { serviceName: 'svc', owner: 'Billing.onInvoice', connections: ['eu'] };
    expect(resolveBinding('bill.x', { connection: 'eu' }, handler, ctx).connection).toBe('eu');
    expect(resolveBinding('bill.x', { connection: 'default' }, handler, ctx).connection).toBeUndefined();
    expect(() => resolveBinding('bill.x', { connection: 'us' }, handler, ctx)).toThrow(
      `@JetStreamEvent('bill.x') on Billing.onInvoice names connection "us", which is not declared; the known connections are "default", "eu".`,
    );
  });
});
