import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { toStreamConfig, validateStreamDeclarations } from './stream-config.js';
import { fromServerSource, toTopologyConfig } from './stream-topology.js';

describe('stream placement, mirror and sources', () => {
  it('become the server fields, only what is declared', () => {
    expect(
      toTopologyConfig({
        placement: { cluster: 'b', tags: ['ssd'] },
        sources: [
          { name: 'EDGE', domain: 'leaf', filterSubject: 'edge.x' },
          { name: 'OTHER', apiPrefix: '$JS.acc.API', deliverPrefix: 'deliver.acc', optStartSeq: 5 },
          { name: 'T', subjectTransforms: [{ source: 'a.>', destination: 'b.>' }] },
        ],
      }),
    ).toEqual({
      placement: { cluster: 'b', tags: ['ssd'] },
      sources: [
        { name: 'EDGE', filter_subject: 'edge.x', external: { api: '$JS.leaf.API', deliver: '' } },
        { name: 'OTHER', opt_start_seq: 5, external: { api: '$JS.acc.API', deliver: 'deliver.acc' } },
        { name: 'T', subject_transforms: [{ src: 'a.>', dest: 'b.>' }] },
      ],
    });
    expect(toTopologyConfig({})).toEqual({});
  });

  it('read back in the app terms: a domain API prefix is a domain', () => {
    expect(fromServerSource({ name: 'EDGE', filter_subject: '', opt_start_seq: 0, external: { api: '$JS.leaf.API', deliver: '' } })).toEqual({
      name: 'EDGE',
      domain: 'leaf',
    });
    expect(fromServerSource({ name: 'X', external: { api: '$JS.acc.API.custom', deliver: 'd' } })).toEqual({
      name: 'X',
      apiPrefix: '$JS.acc.API.custom',
      deliverPrefix: 'd',
    });
  });

  it('a mirror declared with subjects: [] sends no subjects', () => {
    const cfg = toStreamConfig({ name: 'M', subjects: [], mirror: { name: 'ORDERS' } });
    expect(cfg.subjects).toBeUndefined();
    expect(cfg.mirror).toEqual({ name: 'ORDERS' });
  });

  it.each([
    [{ name: 'M', subjects: ['m.>'], mirror: { name: 'O' } }, /mirrors "O" and declares subjects; .*subjects: \[\]/],
    [{ name: 'M', subjects: [], mirror: { name: 'O' }, sources: [{ name: 'P' }] }, /both a mirror and sources/],
    [{ name: 'M', subjects: [] }, /declares no subjects: .* or a mirror or sources/],
    [{ name: 'M', subjects: ['m.>'], placement: {} }, /placement with neither cluster nor tags/],
    [{ name: 'M', subjects: ['m.>'], placement: { tags: [''] } }, /placement\.tags is .*server tags/],
    [{ name: 'M', subjects: [], sources: [{ name: 'bad name' }] }, /sources\[0\]\.name "bad name" is invalid/],
    [{ name: 'M', subjects: [], sources: [{ name: 'M' }] }, /copies the stream into itself/],
    [
      { name: 'M', subjects: [], sources: [{ name: 'O', domain: 'leaf', apiPrefix: '$JS.x.API' }] },
      /both domain and apiPrefix; domain "leaf" means apiPrefix "\$JS\.leaf\.API"/,
    ],
    [
      { name: 'M', subjects: [], sources: [{ name: 'O', filterSubject: 'a.>', subjectTransforms: [{ source: 'a.>', destination: 'b.>' }] }] },
      /filterSubject and subjectTransforms/,
    ],
    [{ name: 'M', subjects: [], sources: [{ name: 'O', subjectTransforms: [{ source: 'a..b', destination: 'b.>' }] }] }, /subjectTransforms .* is invalid/],
  ])('refuses %j, naming the stream and the fix', (decl, message) => {
    expect(() => validateStreamDeclarations([decl])).toThrow(JetStreamConfigError);
    expect(() => validateStreamDeclarations([decl])).toThrow(message);
  });

  it('accepts a sourced stream from another domain with no subjects of its own', () => {
    expect(() => validateStreamDeclarations([{ name: 'HUB', subjects: [], sources: [{ name: 'HUB', domain: 'leaf' }] }])).not.toThrow();
  });
});
