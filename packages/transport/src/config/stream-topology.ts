import type { Placement, StreamConfig, StreamSource } from '@nats-io/jetstream';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { StreamPlacement, StreamSourceDeclaration, StreamTopologyDeclaration } from '../interfaces/stream-topology.interface.js';
import { describeValue } from '../errors/describe-value.js';
import { nameProblem, subjectProblem } from '../utils/subjects.js';

/** The external API prefix of a JetStream domain, as the server names it. */
const domainApi = (domain: string) => `$JS.${domain}.API`;
const DOMAIN_API = /^\$JS\.([^.]+)\.API$/;

/** The server's `placement`, `mirror` and `sources` for a declaration; only what it declares. */
export function toTopologyConfig(decl: StreamTopologyDeclaration): Partial<StreamConfig> {
  const cfg: Partial<StreamConfig> = {};
  if (decl.placement) {
    const placement: Partial<Placement> = {};
    if (decl.placement.cluster !== undefined) placement.cluster = decl.placement.cluster;
    if (decl.placement.tags?.length) placement.tags = [...decl.placement.tags];
    cfg.placement = placement as Placement;
  }
  if (decl.mirror) cfg.mirror = toServerSource(decl.mirror);
  if (decl.sources) cfg.sources = decl.sources.map(toServerSource);
  return cfg;
}

function toServerSource(s: StreamSourceDeclaration): StreamSource {
  const out: StreamSource = { name: s.name };
  if (s.filterSubject !== undefined) out.filter_subject = s.filterSubject;
  if (s.subjectTransforms?.length) out.subject_transforms = s.subjectTransforms.map((t) => ({ src: t.source, dest: t.destination }));
  if (s.optStartSeq !== undefined) out.opt_start_seq = s.optStartSeq;
  if (s.optStartTime !== undefined) out.opt_start_time = s.optStartTime;
  const api = s.domain !== undefined ? domainApi(s.domain) : s.apiPrefix;
  if (api !== undefined) out.external = { api, deliver: s.deliverPrefix ?? '' };
  return out;
}

/** A server source back in the app's terms (`domain` when its API prefix is a domain's). */
export function fromServerSource(s: StreamSource): StreamSourceDeclaration {
  const out: StreamSourceDeclaration = { name: s.name };
  if (s.filter_subject) out.filterSubject = s.filter_subject;
  if (s.subject_transforms?.length) out.subjectTransforms = s.subject_transforms.map((t) => ({ source: t.src ?? '>', destination: t.dest }));
  if (s.opt_start_seq) out.optStartSeq = s.opt_start_seq;
  if (s.opt_start_time) out.optStartTime = s.opt_start_time;
  const api = s.external?.api;
  const domain = api ? DOMAIN_API.exec(api)?.[1] : undefined;
  if (domain !== undefined) out.domain = domain;
  else if (api) out.apiPrefix = api;
  if (s.external?.deliver) out.deliverPrefix = s.external.deliver;
  return out;
}

/** The server's placement back in the app's terms. */
export function fromServerPlacement(p: Partial<Placement>): StreamPlacement {
  const out: StreamPlacement = {};
  if (p.cluster) out.cluster = p.cluster;
  if (p.tags?.length) out.tags = [...p.tags];
  return out;
}

/** Rejects a placement, mirror or sources the server would refuse, naming the stream and what to change. */
export function validateTopology(name: string, subjects: string[], decl: StreamTopologyDeclaration): void {
  const at = `Stream "${name}"`;
  if (decl.placement !== undefined) {
    const { cluster, tags } = decl.placement;
    if (cluster !== undefined && (typeof cluster !== 'string' || cluster === ''))
      throw new JetStreamConfigError(`${at} placement.cluster is ${describeValue(cluster)}; give a cluster name, e.g. 'eu-west'.`);
    if (tags !== undefined && (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t === '')))
      throw new JetStreamConfigError(`${at} placement.tags is ${describeValue(tags)}; give server tags, e.g. ['region:eu'].`);
    if (cluster === undefined && !tags?.length)
      throw new JetStreamConfigError(`${at} declares a placement with neither cluster nor tags; give one, or drop placement.`);
  }
  if (decl.mirror && decl.sources?.length)
    throw new JetStreamConfigError(`${at} declares both a mirror and sources; a mirror copies one stream only: keep one.`);
  if (decl.mirror && subjects.length > 0)
    throw new JetStreamConfigError(`${at} mirrors "${decl.mirror.name}" and declares subjects; a mirror takes no subjects of its own: declare subjects: [].`);
  if (!decl.mirror && !decl.sources?.length && subjects.length === 0)
    throw new JetStreamConfigError(`${at} declares no subjects: give it subjects: ['${name.toLowerCase()}.>'] or similar, or a mirror or sources.`);
  const copies = [...(decl.mirror ? [['mirror', decl.mirror] as const] : []), ...(decl.sources ?? []).map((s, i) => [`sources[${i}]`, s] as const)];
  for (const [where, s] of copies) validateSource(`${at} ${where}`, name, s);
}

function validateSource(at: string, own: string, s: StreamSourceDeclaration): void {
  if (s === null || typeof s !== 'object') throw new JetStreamConfigError(`${at} is ${describeValue(s)}; give { name: 'OTHER_STREAM' }.`);
  const bad = typeof s.name === 'string' ? nameProblem(s.name) : 'it is not a string';
  if (bad) throw new JetStreamConfigError(`${at}.name ${describeValue(s.name)} is invalid: ${bad}. Name the stream to copy from.`);
  if (s.name === own && s.domain === undefined && s.apiPrefix === undefined)
    throw new JetStreamConfigError(`${at} copies the stream into itself; name another stream, or another domain's.`);
  if (s.domain !== undefined && s.apiPrefix !== undefined)
    throw new JetStreamConfigError(`${at} declares both domain and apiPrefix; domain "${s.domain}" means apiPrefix "${domainApi(s.domain)}": keep one.`);
  if (s.domain !== undefined && (typeof s.domain !== 'string' || !/^[A-Za-z0-9_-]+$/.test(s.domain)))
    throw new JetStreamConfigError(`${at}.domain is ${describeValue(s.domain)}; give the JetStream domain of the source stream's server, e.g. 'leaf'.`);
  if (s.filterSubject !== undefined) {
    const why = subjectProblem(s.filterSubject);
    if (why) throw new JetStreamConfigError(`${at}.filterSubject "${s.filterSubject}" is invalid: ${why}.`);
    if (s.subjectTransforms?.length)
      throw new JetStreamConfigError(`${at} declares filterSubject and subjectTransforms; the server takes one: put the filter in a transform's source.`);
  }
  for (const t of s.subjectTransforms ?? []) {
    const why = subjectProblem(t?.source ?? '') ?? subjectProblem(t?.destination ?? '');
    if (why)
      throw new JetStreamConfigError(
        `${at}.subjectTransforms ${describeValue(t)} is invalid: ${why}. Give { source: 'orders.>', destination: 'eu.orders.>' }.`,
      );
  }
}
