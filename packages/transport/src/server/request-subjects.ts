import type { JetStreamManager } from '@nats-io/jetstream';
import type { LoggerService } from '@nestjs/common';
import { Transport } from '@nestjs/microservices';
import { DEFAULTS, JETSTREAM_TRANSPORT } from '../constants.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { JetStreamServerOptions, StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { appContainerOf } from '../nest-adapter/nest-internals.js';
import { discoverHandlers, type ControllerSource } from '../nest-adapter/handler-discovery.js';
import { subjectsOverlap } from '../utils/subjects.js';

// A core-NATS request to a subject a stream captures is stored by the stream, whose PubAck can
// reach the caller before the handler's reply. The server names every such @MessagePattern at boot.

/** A `@MessagePattern` subject and the method that answers it (`Class.method`). */
export interface RequestPattern {
  readonly subject: string;
  readonly handler: string;
}

/** A request subject a stream stores. */
export interface CapturedRequest extends RequestPattern {
  readonly stream: string;
  /** The declared stream's subjects that capture it; undefined for a stream found on the server only. */
  readonly by?: readonly string[];
}

/** Transports that answer over NATS subjects: unbound (every server), NATS, or a custom one but ours. */
function servedOverNats(transport: unknown): boolean {
  if (transport === undefined || transport === Transport.NATS) return true;
  return typeof transport !== 'number' && transport !== JETSTREAM_TRANSPORT;
}

/**
 * Every string `@MessagePattern` of the app's controllers, whatever server they are bound to,
 * read from Nest's metadata as Nest reads it. Object patterns are no NATS subject: skipped.
 */
export function requestPatterns(source: ControllerSource | undefined): RequestPattern[] {
  const found = new Map<string, RequestPattern>();
  for (const { handler, pattern: subject, transport, isEventHandler } of discoverHandlers(source)) {
    if (isEventHandler || !servedOverNats(transport) || typeof subject !== 'string') continue;
    found.set(`${subject} ${handler}`, { subject, handler });
  }
  return [...found.values()];
}

/** The patterns the declared streams capture, each with the stream subjects that do. */
export function capturedByDeclared(patterns: readonly RequestPattern[], streams: readonly StreamDeclaration[]): CapturedRequest[] {
  return patterns.flatMap((p) =>
    streams.flatMap((s) => {
      const by = s.subjects.filter((subject) => subjectsOverlap(subject, p.subject));
      return by.length > 0 ? [{ ...p, stream: s.name, by }] : [];
    }),
  );
}

/**
 * Streams on the server that capture each pattern, asked per subject (`$JS.API.STREAM.NAMES` with
 * a subject filter, what `jsm.streams.find()` sends), so an identity that may not list every
 * stream can run it. The server filters by overlap: a wildcard pattern gets every stream that
 * captures some subject it matches.
 */
async function capturedOnServer(
  patterns: readonly RequestPattern[],
  jsm: JetStreamManager,
): Promise<{ captured: CapturedRequest[]; failed: { subject: string; error: unknown }[] }> {
  const subjects = [...new Set(patterns.map((p) => p.subject))];
  const failed: { subject: string; error: unknown }[] = [];
  const streamsOf = new Map<string, string[]>();
  await Promise.all(
    subjects.map(async (subject) => {
      try {
        const names: string[] = [];
        for await (const name of jsm.streams.names(subject)) names.push(name);
        streamsOf.set(subject, names);
      } catch (error) {
        failed.push({ subject, error });
      }
    }),
  );
  const captured = patterns.flatMap((p) => (streamsOf.get(p.subject) ?? []).map((stream) => ({ ...p, stream })));
  return { captured, failed };
}

function describeCapture(c: CapturedRequest): string {
  const where = c.by ? `its subject${c.by.length > 1 ? 's' : ''} ${c.by.map((s) => `"${s}"`).join(', ')}` : 'on the server, not in options.streams';
  return `"${c.subject}" (${c.handler}) by stream ${c.stream} (${where})`;
}

/** The error's or the warning's text: every capture, why it matters, and how to fix it. */
export function describeCaptures(captured: readonly CapturedRequest[], mode: 'error' | 'warn'): string {
  const risk =
    mode === 'error'
      ? "A core-NATS request to such a subject is stored by the stream too, and the stream's PubAck can reach the caller as the reply before the handler's answer."
      : 'Each request to them is stored by the stream (and delivered to its consumers), and a caller may get the stream\'s PubAck ({"stream":…,"seq":…}) as the reply instead of the handler\'s answer.';
  const fix = `Move each request subject out of the stream's subjects (e.g. under a prefix no stream captures, such as "rpc."), or narrow the stream's subjects so they leave it out.`;
  const optIn = mode === 'error' ? " To boot anyway with a warning, set requestSubjectsInStreams: 'warn'." : '';
  return `JetStream streams capture ${captured.length} @MessagePattern subject(s): ${captured.map(describeCapture).join('; ')}. ${risk} ${fix}${optIn} See docs/beside-core-nats.md.`;
}

/**
 * At `listen()`: names each `@MessagePattern` subject of the app a declared or server stream
 * captures. Throws a `JetStreamConfigError` naming them all, or only logs them with
 * `requestSubjectsInStreams: 'warn'`. Returns what it found.
 */
export async function checkRequestSubjects(
  server: object,
  jsm: JetStreamManager,
  options: JetStreamServerOptions,
  logger: LoggerService,
): Promise<CapturedRequest[]> {
  const patterns = requestPatterns(appContainerOf(server) as ControllerSource | undefined);
  if (patterns.length === 0) return [];
  const declared = capturedByDeclared(patterns, options.streams ?? []);
  const onServer = await capturedOnServer(patterns, jsm);
  for (const { subject, error } of onServer.failed) {
    logger.warn(
      `Could not ask the server which streams capture the @MessagePattern subject "${subject}" (${error instanceof Error ? error.message : String(error)}); only options.streams were checked for it. Allow $JS.API.STREAM.NAMES to check server streams too.`,
    );
  }
  const known = new Set(declared.map((c) => `${c.subject} ${c.handler} ${c.stream}`));
  const captured = [...declared, ...onServer.captured.filter((c) => !known.has(`${c.subject} ${c.handler} ${c.stream}`))];
  if (captured.length === 0) return [];
  const mode = options.requestSubjectsInStreams ?? DEFAULTS.requestSubjectsInStreams;
  if (mode === 'error') throw new JetStreamConfigError(`JetStreamServer: ${describeCaptures(captured, mode)}`);
  logger.warn(describeCaptures(captured, mode));
  return captured;
}
