import type { HandlerBinding, UnresolvedBinding } from '../../bindings/handler-binding.js';
import type { PublishContract } from '../../interfaces/contract-options.interface.js';
import type { JetStreamServerOptions, StreamDeclaration } from '../../interfaces/jetstream-options.interface.js';
import type { PayloadSchema } from '../../schemas/standard-schema.js';

/** One handler as the document shows it: its binding resolved (defaults applied), its schema and the stream it reads. */
export interface ContractHandler {
  readonly binding: Omit<UnresolvedBinding, 'handler' | 'direct' | 'idempotency' | 'codec'> & Partial<Pick<HandlerBinding, 'stream'>>;
  /** `Class.method`. */
  readonly owner?: string;
  readonly schema?: PayloadSchema;
}

/** What the AsyncAPI document is made from: read from the app's module without connecting (see collectAppContract). */
export interface AppContract {
  readonly options: JetStreamServerOptions;
  readonly handlers: readonly ContractHandler[];
  readonly publishes: readonly PublishContract[];
}

/** The declared stream whose subjects capture `subject`, if one does (the server may know more: the document says only what the app declares). */
export function declaredStreamOf(
  streams: readonly StreamDeclaration[],
  subject: string,
  capture: (filter: string, subject: string) => boolean,
): StreamDeclaration | undefined {
  return streams.find((s) => s.subjects.some((filter) => capture(filter, subject)));
}
