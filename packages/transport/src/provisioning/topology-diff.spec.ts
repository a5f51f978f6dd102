import type { StreamInfo } from '@nats-io/jetstream';
import { JetStreamApiError } from '@nats-io/jetstream';
import { diffConfig, STREAM_IMMUTABLE } from './config-diff.js';
import { droppedByServer, placementError } from './topology-checks.js';
import { inUserTerms } from './user-terms.js';

describe('placement, mirror and sources compared in the app terms', () => {
  const diff = (expected: Record<string, unknown>, actual: Record<string, unknown>) =>
    inUserTerms(diffConfig('stream', 'S', expected, actual, STREAM_IMMUTABLE));

  it("ignores the server's defaults and order", () => {
    expect(
      diff(
        { placement: { cluster: 'b', tags: ['x', 'y'] }, sources: [{ name: 'A' }, { name: 'B', external: { api: '$JS.leaf.API', deliver: '' } }] },
        {
          placement: { tags: ['y', 'x'], cluster: 'b' },
          sources: [
            { name: 'B', filter_subject: '', opt_start_seq: 0, external: { deliver: '', api: '$JS.leaf.API' } },
            { name: 'A', filter_subject: '' },
          ],
        },
      ),
    ).toEqual([]);
  });

  it('reports a change in the app terms; a mirror as one that cannot change in place', () => {
    const [sources] = diff({ sources: [{ name: 'A', filter_subject: 'a.x' }] }, { sources: [{ name: 'A' }] });
    expect(sources).toMatchObject({
      option: 'sources',
      updatable: true,
      shown: { expected: '[{"name":"A","filterSubject":"a.x"}]', actual: '[{"name":"A"}]' },
    });
    const [mirror] = diff({ mirror: { name: 'B', external: { api: '$JS.hub.API', deliver: '' } } }, { mirror: { name: 'B' } });
    expect(mirror).toMatchObject({ option: 'mirror', updatable: false, shown: { expected: '{"name":"B","domain":"hub"}' } });
    expect(diff({ placement: { cluster: 'a' } }, { placement: { cluster: 'b' } })[0]).toMatchObject({ option: 'placement', updatable: true });
  });

  it('names what the server did not keep and what that needs', () => {
    const info = { config: { name: 'S', sources: [{ name: 'A' }] } } as unknown as StreamInfo;
    const err = droppedByServer({ name: 'S', subjects: [] }, { sources: [{ name: 'A', subject_transforms: [{ src: 'a.>', dest: 'b.>' }] }] }, info);
    expect(err?.message).toMatch(/kept stream "S" without part of its declared sources: .*subject transforms in sources need nats-server 2\.10\+/);
    expect(droppedByServer({ name: 'S', subjects: [] }, { sources: [{ name: 'A' }] }, info)).toBeUndefined();
  });

  it('turns "no suitable peers" for a declared placement into an error naming the clusters of known streams', () => {
    const refusal = new JetStreamApiError({ code: 500, err_code: 10005, description: 'no suitable peers for placement' });
    const streams = [{ config: { name: 'X' }, cluster: { name: 'east' } }] as unknown as StreamInfo[];
    const err = placementError({ name: 'S', subjects: ['s.>'], placement: { cluster: 'west' } }, refusal, streams);
    expect(err?.message).toMatch(/Stream "S" declares placement \{"cluster":"west"\}, which no server satisfies: .*"east" \(streams X\)/);
    expect(placementError({ name: 'S', subjects: ['s.>'] }, refusal, streams)).toBeUndefined();
    expect(placementError({ name: 'S', subjects: ['s.>'], placement: { cluster: 'w' } }, new Error('other'), streams)).toBeUndefined();
  });
});
