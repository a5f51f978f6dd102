// Type-level test, compiled by `npm run typecheck` (never run): what the compiler must accept and,
// on each @ts-expect-error line, refuse. A typo in a duration or an option name is caught before
// the app runs; what the compiler cannot see (JavaScript, options read from configuration) is
// refused at construction instead (packages/transport/src/config/).
import { JetStreamEvent, JetStreamServer, parseDuration, type Duration, type JetStreamEventOptions, type JetStreamOptions } from '@nest-jetstream/transport';

const durations: Duration[] = [1500, '250ms', '30s', '1.5m', '1h', '2d'];

// @ts-expect-error a unit the library does not take
const spelledOut: Duration = '10 sec';
// @ts-expect-error units are lower case
const upperCase: Duration = '30S';
// @ts-expect-error a number without a unit must be a number, not a string
const bare: Duration = '30';

const server: JetStreamOptions = {
  // @ts-expect-error '10 sec' is not a Duration
  consumerDefaults: { ackWait: '10 sec' },
  // @ts-expect-error nor is '5 minutes'
  shutdownTimeout: '5 minutes',
};

// A value read at runtime: checked (and converted to milliseconds) by parseDuration.
const fromEnv: JetStreamOptions = { consumerDefaults: { ackWait: parseDuration(process.env.ACK_WAIT ?? '30s', 'ACK_WAIT') } };

// Options kept in a variable keep their checks when the variable is typed.
const retries: JetStreamEventOptions = { maxDeliver: 3, backoff: ['1s', '5s'] };

class Handlers {
  // @ts-expect-error maxDelivery is not an option (maxDeliver is)
  @JetStreamEvent('orders.created', { maxDelivery: 3 })
  onCreated(): void {}

  @JetStreamEvent('orders.paid', retries)
  onPaid(): void {}
}

void [durations, spelledOut, upperCase, bare, server, fromEnv, Handlers, JetStreamServer];
