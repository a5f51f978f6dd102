import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamOptions, ProvisioningMode } from '../interfaces/jetstream-options.interface.js';
import { toStreamConfig, validateStreamDeclarations } from '../provisioning/stream-config.js';
import { toMillis } from '../utils/duration.js';
import { nameProblem } from '../utils/subjects.js';
import { describeValue } from '../utils/describe-value.js';
import { validateIdempotencyOptions } from '../idempotency/idempotency-options.js';

const PROVISIONING_MODES: readonly ProvisioningMode[] = ['create-or-update', 'verify', 'off'];

/** Every top-level option, so a misspelt one is an error instead of being ignored. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof JetStreamOptions>([
  'connection',
  'serviceName',
  'streams',
  'provisioning',
  'consumerDefaults',
  'codec',
  'shutdownTimeout',
  'bindPlainEventPatterns',
  'directCalls',
  'pruneConsumers',
  'publish',
  'deadLetter',
  'deadLetterAdvisories',
  'metrics',
  'tracing',
  'health',
  'checkpoints',
  'requestSubjectsInStreams',
  'idempotency',
]);

/**
 * Checks the options a server or client is constructed with, before anything connects: a
 * misspelt mode would otherwise fall through to behaviour nobody asked for (a typo of 'verify'
 * creating streams). Every error names the option, what it got and what it takes.
 */
export function validateOptions(options: JetStreamOptions, who: string): void {
  if (options === null || typeof options !== 'object') throw new JetStreamConfigError(`${who} options must be an object; got ${describeValue(options)}.`);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      const near = [...KNOWN_OPTIONS].find((k) => closeTo(k, key));
      throw new JetStreamConfigError(`${who}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ''}. The options are ${[...KNOWN_OPTIONS].join(', ')}.`);
    }
  }
  for (const key of ['connection', 'consumerDefaults', 'publish', 'health', 'metrics', 'tracing'] as const) {
    const v: unknown = options[key];
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) {
      throw new JetStreamConfigError(`${who}: ${key} must be an object; got ${describeValue(v)}. See the options table in the README.`);
    }
  }
  if (options.checkpoints !== undefined && typeof options.checkpoints !== 'function') {
    throw new JetStreamConfigError(`${who}: checkpoints must be a function (handler) => { afterSequence } | { fromTime } | undefined; got ${describeValue(options.checkpoints)}.`);
  }
  const codec: unknown = options.codec;
  if (codec !== undefined && (codec === null || typeof (codec as { encode?: unknown }).encode !== 'function' || typeof (codec as { decode?: unknown }).decode !== 'function')) {
    throw new JetStreamConfigError(`${who}: codec must have encode() and decode() (e.g. new JsonCodec() or new RawCodec()); got ${describeValue(codec)}.`);
  }
  const { provisioning, serviceName, streams } = options;
  if (provisioning !== undefined && !PROVISIONING_MODES.includes(provisioning)) {
    throw new JetStreamConfigError(`${who}: provisioning is ${describeValue(provisioning)}; use one of ${PROVISIONING_MODES.map((m) => `'${m}'`).join(', ')}.`);
  }
  if (serviceName !== undefined) {
    const bad = typeof serviceName === 'string' ? nameProblem(serviceName) : 'it is not a string';
    if (bad) throw new JetStreamConfigError(`${who}: serviceName ${describeValue(serviceName)} is invalid: ${bad}. Use letters, digits, "-" and "_".`);
  }
  if (streams !== undefined && !Array.isArray(streams)) throw new JetStreamConfigError(`${who}: streams must be an array of stream declarations.`);
  validateStreamDeclarations(streams ?? []);
  for (const s of streams ?? []) {
    toStreamConfig(s); // enum values and durations, each error naming the stream and field
    if (s.replicas !== undefined && !(Number.isInteger(s.replicas) && s.replicas >= 1 && s.replicas <= 5)) {
      throw new JetStreamConfigError(`streams["${s.name}"].replicas is ${describeValue(s.replicas)}; use 1, 3 or 5 (at most 5, and no more than the cluster's nodes).`);
    }
  }
  const advisories = options.deadLetterAdvisories;
  if (typeof advisories === 'object' && advisories !== null) {
    const { replicas } = advisories;
    if (replicas !== undefined && !(Number.isInteger(replicas) && replicas >= 1 && replicas <= 5)) {
      throw new JetStreamConfigError(`${who}: deadLetterAdvisories.replicas is ${describeValue(replicas)}; use 1, 3 or 5.`);
    }
  } else if (advisories !== undefined && typeof advisories !== 'boolean') {
    throw new JetStreamConfigError(`${who}: deadLetterAdvisories must be true, false or { replicas }; got ${describeValue(advisories)}.`);
  }
  for (const flag of ['bindPlainEventPatterns', 'directCalls', 'pruneConsumers'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new JetStreamConfigError(`${who}: ${flag} must be true or false; got ${describeValue(options[flag])}.`);
    }
  }
  if (options.shutdownTimeout !== undefined) toMillis(options.shutdownTimeout, 'shutdownTimeout');
  validateIdempotencyOptions(options.idempotency, who);
  const requestSubjects: unknown = options.requestSubjectsInStreams;
  if (requestSubjects !== undefined && requestSubjects !== 'error' && requestSubjects !== 'warn') {
    throw new JetStreamConfigError(`${who}: requestSubjectsInStreams is ${describeValue(requestSubjects)}; use 'error' (the default: listen() fails when a stream captures a @MessagePattern subject) or 'warn' (it logs them and boots).`);
  }
}

/** One edit apart (a typo), or the same letters in another case. */
function closeTo(a: string, b: string): boolean {
  if (a.toLowerCase() === b.toLowerCase()) return true;
  if (Math.abs(a.length - b.length) > 2) return false;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length] <= 2;
}
