import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SuperCluster, waitFor } from '@nest-jetstream/testing';
import { join } from 'node:path';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { Provisioner } from './provisioner.js';

const dir = join(__dirname, '../../../../deploy/nats/topologies');
const env = { NATS_ADMIN_PASSWORD: 'admin-pw', NATS_SERVICE_PASSWORD: 'svc-pw', NATS_SYS_PASSWORD: 'sys-pw', NATS_GATEWAY_PASSWORD: 'gw-pw' };

// Placement, mirror and sources declared like any other stream setting, provisioned through a
// connection to cluster a of a super-cluster (deploy/nats/topologies, one node per cluster).
describe('provisioning placement, mirrors and sources (real super-cluster a + b)', () => {
  let sc: SuperCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const transforms = () => !sc.servers[0].version.startsWith('2.9.');

  beforeAll(async () => {
    sc = await SuperCluster.start({
      clusters: { a: [join(dir, 'cluster-a.conf')], b: [join(dir, 'cluster-b.conf')] },
      env,
      gatewayAuth: { user: 'gateway', password: 'gw-pw' },
    });
    nc = await connect({ servers: sc.cluster('a').urls, user: 'admin', pass: 'admin-pw' });
    // Under load the first JetStream API call after the meta group formed can time out: retry it.
    jsm = await waitFor('JetStream to answer through cluster a', () => jetstreamManager(nc).catch(() => undefined), { timeout: 30_000 });
  });
  afterAll(async () => {
    await nc?.close();
    await sc?.stop();
  });

  const inB: StreamDeclaration = { name: 'PLACED_B', subjects: ['placed.>'], placement: { cluster: 'b' } };
  const mirrorA: StreamDeclaration = { name: 'PLACED_B_MIRROR', subjects: [], mirror: { name: 'PLACED_B' }, placement: { cluster: 'a' } };

  it('creates a stream in cluster b and its mirror in a, then finds nothing to change, in verify too', async () => {
    await new Provisioner(jsm, 'create-or-update').provisionStreams([inB, mirrorA]);
    expect((await jsm.streams.info('PLACED_B')).cluster?.name).toBe('b');
    expect((await jsm.streams.info('PLACED_B_MIRROR')).cluster?.name).toBe('a');
    await new Provisioner(jsm, 'create-or-update').provisionStreams([inB, mirrorA]);
    await new Provisioner(jsm, 'verify').provisionStreams([inB, mirrorA]);
    const js = jetstream(nc);
    await waitFor('a publish from a to reach the stream in b', () => js.publish('placed.x', 'one').catch(() => undefined), { timeout: 20_000 });
    await waitFor('the mirror in a to hold it', async () => (await jsm.streams.info('PLACED_B_MIRROR')).state.messages === 1, { timeout: 20_000 });
  });

  it('reports a changed mirror in the app terms, as one it cannot change in place', async () => {
    const changed = { ...mirrorA, mirror: { name: 'PLACED_B', filterSubject: 'placed.only' } };
    const err = await new Provisioner(jsm, 'create-or-update').provisionStreams([inB, changed]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProvisioningError);
    expect((err as Error).message).toContain('mirror is {"name":"PLACED_B"} on the server, the app declares {"name":"PLACED_B","filterSubject":"placed.only"}');
    expect((err as Error).message).toContain('cannot be changed in place');
  });

  it('adds and updates sources in place, with a filter', async () => {
    const agg: StreamDeclaration = { name: 'AGG', subjects: [], sources: [{ name: 'PLACED_B' }] };
    await new Provisioner(jsm, 'create-or-update').provisionStreams([agg]);
    const filtered: StreamDeclaration = { ...agg, sources: [{ name: 'PLACED_B', filterSubject: 'placed.kept' }] };
    const diff = await new Provisioner(jsm, 'verify').provisionStreams([filtered]).catch((e: Error) => e.message);
    expect(diff).toContain('sources is [{"name":"PLACED_B"}] on the server, the app declares [{"name":"PLACED_B","filterSubject":"placed.kept"}]');
    await new Provisioner(jsm, 'create-or-update').provisionStreams([filtered]);
    expect((await jsm.streams.info('AGG')).config.sources?.[0].filter_subject).toBe('placed.kept');
    await new Provisioner(jsm, 'verify').provisionStreams([filtered]);
  });

  it('sources with subject transforms on 2.10+, and a clear error on older servers', async () => {
    const transformed: StreamDeclaration = {
      name: 'RENAMED',
      subjects: [],
      sources: [{ name: 'PLACED_B', subjectTransforms: [{ source: 'placed.>', destination: 'renamed.>' }] }],
    };
    if (!transforms()) {
      // The client refuses before the server could drop the field (droppedByServer is the net behind it).
      await expect(new Provisioner(jsm, 'create-or-update').provisionStreams([transformed])).rejects.toThrow(
        /Could not create stream RENAMED: .*subject_transforms.* requires server 2\.10/,
      );
      return;
    }
    await new Provisioner(jsm, 'create-or-update').provisionStreams([transformed]);
    await new Provisioner(jsm, 'verify').provisionStreams([transformed]);
    await waitFor('the renamed copy', async () => (await jsm.streams.getMessage('RENAMED', { seq: 1 }))?.subject === 'renamed.x', { timeout: 20_000 });
  });

  it('refuses at boot a placement no cluster satisfies, naming the clusters and tags the server reports', async () => {
    const nowhere: StreamDeclaration = { name: 'NOWHERE', subjects: ['nowhere.>'], placement: { cluster: 'c', tags: ['ssd'] } };
    const err = await new Provisioner(jsm, 'create-or-update').provisionStreams([nowhere]).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ProvisioningError);
    expect(err?.message).toContain('Stream "NOWHERE" declares placement {"cluster":"c","tags":["ssd"]}, which no server satisfies');
    // The clusters the server reports: where this account's streams are.
    expect(err?.message).toMatch(/Clusters the server reports for this account's streams: .*"a" \(streams [^)]*PLACED_B_MIRROR/);
    expect(err?.message).toMatch(/"b" \(streams [^)]*PLACED_B\b/);
    expect(err?.message).toContain('server_tags');
    await expect(jsm.streams.info('NOWHERE')).rejects.toThrow(/not found/);
  });
});
