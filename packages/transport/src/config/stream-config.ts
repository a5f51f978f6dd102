import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { toNanos } from '../utils/duration.js';
import { nameProblem, subjectProblem, subjectsOverlap } from '../utils/subjects.js';
import { describeValue } from '../errors/describe-value.js';
import { timingStreamConfig } from '../message-timing/timing-streams.js';
import { toTopologyConfig, validateTopology } from './stream-topology.js';

const RETENTION: Record<NonNullable<StreamDeclaration['retention']>, RetentionPolicy> = {
  limits: RetentionPolicy.Limits,
  interest: RetentionPolicy.Interest,
  workqueue: RetentionPolicy.Workqueue,
};
const STORAGE: Record<NonNullable<StreamDeclaration['storage']>, StorageType> = { file: StorageType.File, memory: StorageType.Memory };
const DISCARD: Record<NonNullable<StreamDeclaration['discard']>, DiscardPolicy> = { old: DiscardPolicy.Old, new: DiscardPolicy.New };

function pick<K extends string, V>(table: Record<K, V>, value: K | undefined, fallback: K, what: string): V {
  const key = value ?? fallback;
  if (typeof key !== 'string' || !(key in table))
    throw new JetStreamConfigError(
      `${what} is ${describeValue(value)}; use one of ${Object.keys(table)
        .map((k) => `"${k}"`)
        .join(', ')}.`,
    );
  return table[key];
}

/**
 * The server's stream config for a declaration: only the fields the app declares (and the
 * retention, storage and replicas defaults), so what the app leaves out stays as the server has it.
 */
export function toStreamConfig(decl: StreamDeclaration): Partial<StreamConfig> & { name: string } {
  const at = `streams["${decl.name}"]`;
  const cfg: Partial<StreamConfig> & { name: string } = {
    name: decl.name,
    retention: pick(RETENTION, decl.retention, 'limits', `${at}.retention`),
    storage: pick(STORAGE, decl.storage, 'file', `${at}.storage`),
    num_replicas: decl.replicas ?? 1,
  };
  // A mirror (and a stream that only sources) has no subjects of its own: the server reports none.
  if (decl.subjects.length > 0) cfg.subjects = [...decl.subjects];
  Object.assign(cfg, toTopologyConfig(decl));
  if (decl.maxAge !== undefined) cfg.max_age = toNanos(decl.maxAge, `${at}.maxAge`);
  if (decl.duplicateWindow !== undefined) cfg.duplicate_window = toNanos(decl.duplicateWindow, `${at}.duplicateWindow`);
  if (decl.maxBytes !== undefined) cfg.max_bytes = decl.maxBytes;
  if (decl.maxMsgs !== undefined) cfg.max_msgs = decl.maxMsgs;
  if (decl.maxMsgSize !== undefined) cfg.max_msg_size = decl.maxMsgSize;
  if (decl.maxMsgsPerSubject !== undefined) cfg.max_msgs_per_subject = decl.maxMsgsPerSubject;
  if (decl.discard !== undefined) cfg.discard = pick(DISCARD, decl.discard, 'old', `${at}.discard`);
  if (decl.description !== undefined) cfg.description = decl.description;
  if (decl.denyDelete !== undefined) cfg.deny_delete = decl.denyDelete;
  if (decl.denyPurge !== undefined) cfg.deny_purge = decl.denyPurge;
  if (decl.allowRollup !== undefined) cfg.allow_rollup_hdrs = decl.allowRollup;
  Object.assign(cfg, timingStreamConfig(decl, at));
  if (decl.allowAtomic === true) cfg.allow_atomic = true;
  if (decl.allowBatched === true) cfg.allow_batched = true;
  return { ...cfg, ...decl.extra, name: decl.name };
}

/** Rejects declarations the server would refuse, with what to change: bad names, bad subjects, overlaps. */
export function validateStreamDeclarations(streams: StreamDeclaration[]): void {
  const seen = new Set<string>();
  for (const s of streams) {
    const bad = nameProblem(s.name);
    if (bad) throw new JetStreamConfigError(`Stream name "${s.name}" is invalid: ${bad}. Use letters, digits, "-" and "_".`);
    if (seen.has(s.name)) throw new JetStreamConfigError(`Stream "${s.name}" is declared twice in options.streams; keep one declaration.`);
    seen.add(s.name);
    if (!Array.isArray(s.subjects)) {
      throw new JetStreamConfigError(`Stream "${s.name}" declares no subjects: give it subjects: ['${s.name.toLowerCase()}.>'] or similar.`);
    }
    validateTopology(s.name, s.subjects, s);
    for (const subject of s.subjects) {
      const why = subjectProblem(subject);
      if (why) throw new JetStreamConfigError(`Stream "${s.name}" subject "${subject}" is invalid: ${why}.`);
    }
  }
  for (let i = 0; i < streams.length; i++) {
    for (let j = i + 1; j < streams.length; j++) {
      for (const a of streams[i].subjects) {
        for (const b of streams[j].subjects) {
          if (subjectsOverlap(a, b)) {
            throw new JetStreamConfigError(
              `Streams "${streams[i].name}" ("${a}") and "${streams[j].name}" ("${b}") capture overlapping subjects; JetStream allows one stream per subject. Make their subjects disjoint.`,
            );
          }
        }
      }
    }
  }
}
