import { JetStreamApiCodes, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { ProvisioningError, NoStreamForSubjectError } from '../errors/provisioning.error.js';
import type { ProvisioningMode, StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import type { UnresolvedBinding } from '../bindings/handler-binding.js';
import { subjectMatches } from '../utils/subjects.js';
import { renderDeadLetterSubject } from '../config/dead-letter-subject.js';
import { isApiError, provisioningServerError } from './server-refusals.js';

/**
 * The server's streams as the provisioner knows them: every stream (create-or-update), or only
 * those the app names or needs, looked up one by one (verify, off), and the questions asked of
 * them with the app's declarations first: which stream captures a subject, which one a handler
 * reads, how many replicas.
 */
export class ServerStreams {
  private byName = new Map<string, StreamInfo>();

  constructor(private readonly jsm: JetStreamManager) {}

  get(name: string): StreamInfo | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  set(name: string, info: StreamInfo): void {
    this.byName.set(name, info);
  }

  values(): IterableIterator<StreamInfo> {
    return this.byName.values();
  }

  /** A stream's retention, as declared, else as on the server. */
  retention(name: string, declared: StreamDeclaration[]): string | undefined {
    return declared.find((d) => d.name === name)?.retention ?? this.byName.get(name)?.config.retention;
  }

  /** Whether the stream is a mirror or has sources, as declared, else as on the server. */
  private copies(name: string, declared: StreamDeclaration[]): boolean {
    const d = declared.find((x) => x.name === name);
    const cfg = d ?? this.byName.get(name)?.config;
    if (!cfg) return false;
    return cfg.mirror !== undefined || (cfg.sources?.length ?? 0) > 0;
  }

  /** The stream a handler reads: the one it names (checked), else the one capturing its subject. */
  resolve(b: UnresolvedBinding, declared: StreamDeclaration[]): string {
    const subjectsOf = (name: string): string[] | undefined => declared.find((d) => d.name === name)?.subjects ?? this.byName.get(name)?.config.subjects;
    if (b.stream) {
      const subjects = subjectsOf(b.stream);
      // A mirror or a sourced stream holds the subjects of the streams it copies: the server filters.
      if (this.copies(b.stream, declared)) return b.stream;
      if (!subjects) {
        throw new ProvisioningError(
          `Handler "${b.subject}" names stream "${b.stream}", which is neither declared in options.streams nor on the server. Declare it, or fix the handler's stream option.`,
        );
      }
      if (!subjects.some((s) => subjectMatches(s, b.subject))) {
        throw new ProvisioningError(
          `Handler "${b.subject}" names stream "${b.stream}", whose subjects (${subjects.join(', ')}) do not capture "${b.subject}". Add the subject to the stream or pick another stream.`,
        );
      }
      return b.stream;
    }
    const found = this.capturing(b.subject, declared);
    if (!found) throw new NoStreamForSubjectError(b.subject, ` (handler durable "${b.durable}")`);
    return found;
  }

  /** The stream whose subjects capture `subject`: a declared one first, then any on the server. */
  capturing(subject: string, declared: StreamDeclaration[]): string | undefined {
    const captures = (subjects: string[] | undefined) => (subjects ?? []).some((s) => subjectMatches(s, subject));
    return declared.find((d) => captures(d.subjects))?.name ?? [...this.byName.values()].find((i) => captures(i.config.subjects))?.config.name;
  }

  /** The most replicas among `streams` (as declared, else as on the server), at least 1. */
  replicasOf(streams: string[], declared: StreamDeclaration[]): number {
    return Math.max(1, ...streams.map((name) => declared.find((d) => d.name === name)?.replicas ?? this.byName.get(name)?.config.num_replicas ?? 1));
  }

  /**
   * The server streams verify and off need, one by one: the declared ones (verify compares them),
   * those handlers name, and the one capturing each handler subject and dead-letter subject that
   * no declared stream captures. No listing of every stream (a permission least-privilege
   * identities do not have).
   */
  async lookUp(declared: StreamDeclaration[], unresolved: UnresolvedBinding[], mode: ProvisioningMode): Promise<void> {
    this.byName = new Map();
    const names = new Set(unresolved.flatMap((b) => (b.stream && !declared.some((d) => d.name === b.stream) ? [b.stream] : [])));
    if (mode !== 'off') for (const d of declared) names.add(d.name);
    for (const name of names) await this.lookUpOne(name);
    for (const b of unresolved) {
      if (!b.stream && !this.capturing(b.subject, declared)) await this.lookUpStreamCapturing(b.subject);
    }
    for (const b of unresolved) {
      const stream = b.stream ?? this.capturing(b.subject, declared);
      if (!b.deadLetter || !stream) continue;
      const subject = renderDeadLetterSubject(b.deadLetter, b.subject, stream, b.durable);
      if (!this.capturing(subject, declared)) await this.lookUpStreamCapturing(subject);
    }
  }

  private async lookUpOne(name: string): Promise<void> {
    try {
      this.byName.set(name, await this.jsm.streams.info(name));
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw provisioningServerError(`read stream ${name}`, err);
    }
  }

  private async lookUpStreamCapturing(subject: string): Promise<void> {
    let name: string;
    try {
      name = await this.jsm.streams.find(subject);
    } catch (err) {
      if (isApiError(err, JetStreamApiCodes.StreamNotFound)) return;
      throw provisioningServerError(`look up the stream capturing "${subject}"`, err);
    }
    if (!this.byName.has(name)) await this.lookUpOne(name);
  }

  /** Every stream on the server, every page. */
  async loadAll(): Promise<void> {
    this.byName = new Map();
    try {
      for await (const info of this.jsm.streams.list()) this.byName.set(info.config.name, info);
    } catch (err) {
      throw provisioningServerError('list streams', err);
    }
  }
}
