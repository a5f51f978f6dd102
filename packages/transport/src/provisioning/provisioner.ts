import { JetStreamApiCodes, StorageType, type ConsumerInfo, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { millisToNanos } from '../utils/duration.js';
import { RedactingLogger } from '../security/redacting-logger.js';
import { ProvisioningError, type ProvisioningDifference } from '../errors/provisioning.error.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { ProvisioningMode, StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import type { HandlerBinding, UnresolvedBinding } from '../bindings/handler-binding.js';
import { subjectMatches, subjectsOverlap } from '../utils/subjects.js';
import { CONSUMER_IMMUTABLE, STREAM_IMMUTABLE, diffConfig } from './config-diff.js';
import { maxDeliverOffset, toConsumerConfig } from './consumer-config.js';
import { inUserTerms } from './user-terms.js';
import { toStreamConfig } from '../config/stream-config.js';
import { renderDeadLetterSubject } from '../config/dead-letter-subject.js';
import { foreignConsumerProblems, workQueueError, workQueueProblems } from '../delivery/workqueue-rules.js';
import { modeOf } from '../delivery/modes.js';
import { ServerStreams } from './server-streams.js';
import { isApiError, provisioningServerError } from './server-refusals.js';
import { droppedByServer, placementError } from './topology-checks.js';

/** JetStream API error: "stream name already in use with a different configuration" / already exists. */
const STREAM_NAME_IN_USE = 10058;

/**
 * Makes the server's streams and consumers match the app's declarations (create-or-update),
 * checks them without writing (verify), or only checks that the consumers exist (off).
 */
export class Provisioner {
  private readonly serverStreams: ServerStreams;
  /** Dead-letter subjects no stream captured at boot (verify and off only; create-or-update gives them a stream). */
  missingDeadLetterSubjects: string[] = [];
  private readonly logger: RedactingLogger;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly mode: ProvisioningMode,
    /** Names the dead-letter stream made for uncaptured dead-letter subjects. */
    private readonly serviceName?: string,
    /** The server's redactor, which knows the connection's secrets; shape patterns only without it. */
    redact?: (text: string) => string,
  ) {
    this.logger = RedactingLogger.for('JetStreamProvisioning', redact);
    this.serverStreams = new ServerStreams(jsm);
  }

  /**
   * Ensures the streams, resolves each handler's stream, then the consumers. `beforeConsumers` runs
   * between the two (the server reports, and may prune, consumers left behind there: a left-behind
   * durable on a work-queue stream would otherwise fail the work-queue checks before it is pruned).
   */
  async provision(
    streams: StreamDeclaration[],
    unresolved: UnresolvedBinding[],
    beforeConsumers?: (bindings: HandlerBinding[]) => Promise<void>,
  ): Promise<HandlerBinding[]> {
    // Only create-or-update lists every stream (it must not create one overlapping another);
    // verify and off look up just the streams the app names or needs.
    if (this.mode === 'create-or-update') await this.serverStreams.loadAll();
    else await this.serverStreams.lookUp(streams, unresolved, this.mode);
    const differences: ProvisioningDifference[] = [];
    if (this.mode !== 'off') {
      for (const decl of streams) differences.push(...(await this.provisionStream(decl)));
    }
    const bindings = unresolved.map((b) => ({ ...b, stream: this.serverStreams.resolve(b, streams) }));
    assertOneHandlerPerDurable(bindings);
    await beforeConsumers?.(bindings);
    await this.checkWorkQueues(bindings, streams);
    const uncaptured = [...new Set(bindings.flatMap((b) => this.checkDeadLetterRoute(b, streams)))];
    if (uncaptured.length > 0) await this.provideDeadLetterStream(uncaptured, bindings, streams);
    // Some modes' consumers are made by the client, one after another.
    for (const b of bindings) if (modeOf(b).consumerMadeBy === 'provisioner') differences.push(...(await this.provisionConsumer(b)));
    this.throwIfDifferent(differences);
    return bindings;
  }

  private async checkWorkQueues(bindings: HandlerBinding[], declared: StreamDeclaration[]): Promise<void> {
    const isWorkQueue = (name: string) => this.serverStreams.retention(name, declared) === 'workqueue';
    const problems = workQueueProblems(bindings, isWorkQueue);
    for (const b of bindings) {
      if (!isWorkQueue(b.stream) || !this.serverStreams.has(b.stream)) continue;
      const consumers: ConsumerInfo[] = [];
      try {
        for await (const c of this.jsm.consumers.list(b.stream)) consumers.push(c);
      } catch {
        // An identity that may not list consumers: the server's own refusal will name the clash.
        continue;
      }
      problems.push(...foreignConsumerProblems(b, consumers, this.serviceName));
    }
    if (problems.length > 0) throw workQueueError(problems);
  }

  /**
   * The declared streams alone, for a publisher (the client): looked up by name, and the whole
   * list read only when one must be created (it may not overlap another stream).
   */
  async provisionStreams(streams: StreamDeclaration[]): Promise<void> {
    if (this.mode === 'off' || streams.length === 0) return;
    await this.serverStreams.lookUp(streams, [], this.mode);
    if (this.mode === 'create-or-update' && streams.some((d) => !this.serverStreams.has(d.name))) await this.serverStreams.loadAll();
    const differences: ProvisioningDifference[] = [];
    for (const decl of streams) differences.push(...(await this.provisionStream(decl)));
    this.throwIfDifferent(differences);
  }

  private throwIfDifferent(differences: ProvisioningDifference[]): void {
    if (differences.length === 0) return;
    const what =
      this.mode === 'verify'
        ? `Provisioning 'verify' found ${differences.length} difference(s) between the app and the JetStream server; create or change them on the server (or boot once with provisioning 'create-or-update' under an identity allowed to):`
        : `The JetStream server's streams or consumers differ from the app in ways that cannot be changed in place; delete and recreate them, or change the declaration back:`;
    throw new ProvisioningError(what, differences);
  }

  /**
   * Puts back a consumer deleted while the app runs: from `resumeFrom` (what this process has
   * not finished) instead of replaying what its declared policy would give, unless that policy
   * starts later (`new`, `last`, `last_per_subject`, a later `optStartSeq`). Left as it is when
   * another instance already put it back.
   */
  async recreateConsumer(b: HandlerBinding, resumeFrom: number | undefined): Promise<void> {
    const left = await this.provisionConsumer(resumeFrom === undefined ? b : resumeBinding(b, resumeFrom), true);
    if (left.length > 0) throw new ProvisioningError(`Consumer ${b.stream}/${b.durable} is missing`, left);
  }

  /** Creates or updates one consumer from its binding; used at boot and to heal a deleted consumer. */
  async provisionConsumer(b: HandlerBinding, createOnly = false): Promise<ProvisioningDifference[]> {
    const expected = toConsumerConfig(b);
    const name = `${b.stream}/${b.durable}`;
    let actual: Record<string, unknown> | undefined;
    try {
      actual = (await this.jsm.consumers.info(b.stream, b.durable)).config as unknown as Record<string, unknown>;
    } catch (err) {
      // In verify, a missing stream is already one difference: its consumer is missing with it.
      const streamMissing = isApiError(err, JetStreamApiCodes.StreamNotFound) && this.mode === 'verify';
      if (!streamMissing && !isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw this.serverError(`read consumer ${name}`, err);
    }
    if (!actual) {
      // A consumer per instance is this instance's own: made at boot whatever the provisioning mode.
      if (this.mode !== 'create-or-update' && !modeOf(b).perInstance) {
        if (this.mode === 'off') {
          throw new ProvisioningError(
            `Consumer ${name} for handler "${b.subject}" does not exist and provisioning is 'off': create it on the server, or use provisioning 'create-or-update'.`,
          );
        }
        return [{ kind: 'consumer', name, field: '(missing)', expected, actual: undefined, updatable: true }];
      }
      try {
        await this.jsm.consumers.add(b.stream, expected);
      } catch (err) {
        // Another instance of this service created it first: compare with theirs.
        const exists = await this.jsm.consumers.info(b.stream, b.durable).then(
          () => true,
          () => false,
        );
        if (!exists) throw this.serverError(`create consumer ${name}`, err);
        return this.provisionConsumer(b, createOnly);
      }
      this.logger.log(`Created durable consumer ${name} for "${b.subject}"`);
      return [];
    }
    if (this.mode === 'off' || createOnly) return [];
    const diffs = inUserTerms(diffConfig('consumer', name, expected, actual, CONSUMER_IMMUTABLE), maxDeliverOffset(b));
    return this.applyUpdates(diffs, async (changes) => {
      await this.jsm.consumers.update(b.stream, b.durable, changes);
      this.logger.log(`Updated durable consumer ${name}: ${Object.keys(changes).join(', ')}`);
    });
  }

  private async provisionStream(decl: StreamDeclaration): Promise<ProvisioningDifference[]> {
    const expected = toStreamConfig(decl);
    const existing = this.serverStreams.get(decl.name);
    if (!existing) {
      if (this.mode === 'verify') return [{ kind: 'stream', name: decl.name, field: '(missing)', expected, actual: undefined, updatable: true }];
      this.assertNoForeignOverlap(decl);
      let created: StreamInfo | undefined;
      try {
        created = await this.jsm.streams.add(expected);
      } catch (err) {
        // Another service or instance sharing the declaration created it first: compare with theirs.
        if (!isApiError(err, STREAM_NAME_IN_USE))
          throw placementError(decl, err, this.serverStreams.values()) ?? this.serverError(`create stream ${decl.name}`, err);
        this.serverStreams.set(decl.name, await this.jsm.streams.info(decl.name));
        return this.provisionStream(decl);
      }
      this.serverStreams.set(decl.name, created);
      const dropped = droppedByServer(decl, expected, created);
      if (dropped) throw dropped;
      this.logger.log(`Created stream ${decl.name} (${decl.subjects.join(', ')})`);
      return [];
    }
    const diffs = inUserTerms(diffConfig('stream', decl.name, expected, existing.config as unknown as Record<string, unknown>, STREAM_IMMUTABLE));
    return this.applyUpdates(diffs, async (changes) => {
      const info = await this.jsm.streams.update(decl.name, changes);
      this.serverStreams.set(decl.name, info);
      const dropped = droppedByServer(decl, expected, info);
      if (dropped) throw dropped;
      this.logger.log(`Updated stream ${decl.name}: ${Object.keys(changes).join(', ')}`);
    });
  }

  /** In create-or-update, applies updatable differences when none is immutable; returns what is left to report. */
  private async applyUpdates(diffs: ProvisioningDifference[], update: (changes: Record<string, unknown>) => Promise<void>): Promise<ProvisioningDifference[]> {
    if (diffs.length === 0 || this.mode === 'verify') return diffs;
    const blocked = diffs.filter((d) => !d.updatable);
    if (blocked.length > 0) return blocked;
    const changes = Object.fromEntries(diffs.map((d) => [d.field, d.expected]));
    await update(changes).catch((err: unknown) => {
      if (err instanceof ProvisioningError) throw err;
      throw this.serverError(`update ${diffs[0].kind} ${diffs[0].name}`, err, diffs);
    });
    return [];
  }

  /** The most replicas among `streams` (as declared, else as on the server), at least 1. */
  replicasOf(streams: string[], declared: StreamDeclaration[]): number {
    return this.serverStreams.replicasOf(streams, declared);
  }

  /** Dead-letter subjects no stream captures, of handlers whose route does not loop back into their own filter. */
  private checkDeadLetterRoute(b: HandlerBinding, declared: StreamDeclaration[]): string[] {
    if (!b.deadLetter) return [];
    const subject = renderDeadLetterSubject(b.deadLetter, b.subject, b.stream, b.durable);
    if (subjectMatches(b.subject, subject)) {
      throw new ProvisioningError(
        `Handler "${b.subject}" would receive its own dead letters on "${subject}": pick a dead-letter subject its filter "${b.subject}" does not match.`,
      );
    }
    return this.serverStreams.capturing(subject, declared) ? [] : [subject];
  }

  /**
   * Dead-letter subjects no stream captures. In `create-or-update` they get a stream of their
   * own, `<SERVICENAME>_DEAD_LETTERS` (file storage, the replicas of the handlers' streams), so a
   * dead-letter stream deleted by mistake never stops the service from booting; declare one to
   * choose its limits. In `verify` and `off` the service boots and `missingDeadLetterSubjects`
   * says which (dead letters then wait in their stream and in the advisory stream).
   */
  private async provideDeadLetterStream(subjects: string[], bindings: HandlerBinding[], declared: StreamDeclaration[]): Promise<void> {
    if (this.mode !== 'create-or-update' || !this.serviceName) {
      this.missingDeadLetterSubjects = subjects;
      this.logger.error(
        `Dead-letter subject(s) ${subjects.map((x) => `"${x}"`).join(', ')} are captured by no stream (provisioning '${this.mode}'): failed messages stay in their streams (naked) and in the advisory stream until one is created. Declare a dead-letter stream (long retention) whose subjects include them, e.g. { name: 'DEAD_LETTERS', subjects: ['${subjects[0]}'] }.`,
      );
      return;
    }
    const name = `${this.serviceName.toUpperCase().replace(/[^A-Z0-9_-]/g, '_')}_DEAD_LETTERS`;
    // Subjects another listed subject covers would overlap inside the stream.
    const own = subjects.filter((x) => !subjects.some((y) => y !== x && subjectMatches(y, x)));
    const replicas = this.replicasOf(
      bindings.map((b) => b.stream),
      declared,
    );
    const existing = this.serverStreams.get(name) ?? (await this.jsm.streams.info(name).catch(() => undefined));
    try {
      const info = existing
        ? await this.jsm.streams.update(name, { ...existing.config, subjects: [...new Set([...(existing.config.subjects ?? []), ...own])] })
        : await this.jsm.streams.add({ name, subjects: own, storage: StorageType.File, num_replicas: replicas, duplicate_window: millisToNanos(3_600_000) });
      this.serverStreams.set(name, info);
    } catch (err) {
      throw this.serverError(`create the dead-letter stream ${name} for ${own.join(', ')} (no declared stream captures them)`, err);
    }
    this.logger.warn(
      `Dead-letter subject(s) ${own.map((x) => `"${x}"`).join(', ')} were captured by no stream: stream ${name} now stores them (file, ${replicas} replica(s), no age limit). Declare a dead-letter stream to choose its limits.`,
    );
  }

  private assertNoForeignOverlap(decl: StreamDeclaration): void {
    for (const info of this.serverStreams.values()) {
      if (info.config.name === decl.name) continue;
      for (const a of decl.subjects) {
        for (const b of info.config.subjects ?? []) {
          if (subjectsOverlap(a, b)) {
            throw new ProvisioningError(
              `Cannot create stream "${decl.name}": its subject "${a}" overlaps "${b}" of existing stream "${info.config.name}" on the server. Make the subjects disjoint, or declare the existing stream instead.`,
            );
          }
        }
      }
    }
  }

  private serverError(action: string, err: unknown, differences: ProvisioningDifference[] = []): ProvisioningError {
    return provisioningServerError(action, err, differences);
  }
}

/** The binding with its start moved to `resumeFrom`, unless its declared start is later. */
function resumeBinding(b: HandlerBinding, resumeFrom: number): HandlerBinding {
  const later =
    b.deliverPolicy === 'new' ||
    b.deliverPolicy === 'last' ||
    b.deliverPolicy === 'last_per_subject' ||
    (b.deliverPolicy === 'by_start_sequence' && (b.optStartSeq ?? 0) >= resumeFrom);
  return later ? b : { ...b, deliverPolicy: 'by_start_sequence', optStartSeq: resumeFrom, optStartTime: undefined };
}

/**
 * Two handlers on one durable would rewrite each other's filter and take each other's messages.
 * Checked once every stream is resolved (one handler may name its stream, the other infer it).
 */
function assertOneHandlerPerDurable(bindings: HandlerBinding[]): void {
  const seen = new Map<string, string>();
  for (const b of bindings) {
    const key = `${b.stream}/${b.durable}`;
    const other = seen.get(key);
    if (other !== undefined) {
      throw new JetStreamConfigError(
        `Handlers "${other}" and "${b.subject}" both use durable "${b.durable}" on stream ${b.stream}: give one of them another durable.`,
      );
    }
    seen.set(key, b.subject);
  }
}
