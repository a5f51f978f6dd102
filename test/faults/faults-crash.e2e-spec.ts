// The fault suite, short (crashes on one server, both server versions): see faults.e2e-spec.ts.
// Apart from the other scenarios so that jest runs them beside each other.
import { expectNothingLost } from './expect-nothing-lost';
import { consumerCrash, serverCrash } from './scenarios/single-server';
import { SIZES } from './scenarios/sizes';

describe('fault suite, short: crashes (real nats-servers, consumer processes)', () => {
  for (const version of ['newest', 'oldest'] as const) {
    it(`${version}: a consumer SIGKILLed mid-drain loses nothing acknowledged`, async () => {
      expectNothingLost(await consumerCrash({ size: SIZES.short, version }));
    }, 150_000);

    it(`${version}: a nats-server SIGKILLed under load loses nothing acknowledged`, async () => {
      expectNothingLost(await serverCrash({ size: SIZES.short, version }));
    }, 150_000);
  }
});
