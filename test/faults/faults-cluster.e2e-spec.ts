// The fault suite, short (3-node cluster faults): see faults.e2e-spec.ts.
// Apart from the other scenarios so that jest runs them beside each other.
import { expectNothingLost } from './expect-nothing-lost';
import { clusterFault, CLUSTER_FAULTS } from './scenarios/cluster';
import { partition } from './scenarios/partition';
import { SIZES } from './scenarios/sizes';

describe('fault suite, short: cluster (real 3-node clusters, consumer processes)', () => {
  it('an R3 stream leader SIGKILLed on a 3-node cluster loses nothing acknowledged', async () => {
    expectNothingLost(await clusterFault({ size: SIZES.short, version: 'newest' }, CLUSTER_FAULTS[0]));
  }, 200_000);

  it('a partition isolating the R3 stream leader (network namespaces), then healed, loses nothing acknowledged', async () => {
    const r = await partition({ size: SIZES.short, version: 'newest' });
    expectNothingLost(r);
    expect(r.notes).toMatch(/^the majority side had a new stream leader \(p\d\)/);
  }, 300_000);
});
