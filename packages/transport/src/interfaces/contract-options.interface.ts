import type { PayloadSchema } from '../schemas/standard-schema.js';

/** A handler's payload contract (`@JetStreamEvent(subject, { schema })`). */
export interface HandlerSchemaOptions {
  /**
   * The payload's schema: a Standard Schema validator (zod, valibot, arktype) or `dtoSchema(Dto)`
   * for a class-validator DTO (`@nest-jetstream/transport/class-validator`). The payload is
   * validated before the handler runs (a failure terminates and dead-letters the message with the
   * failing fields), and the AsyncAPI document shows it. Default none: nothing is validated.
   */
  schema?: PayloadSchema;
}

/** A subject the service publishes, as the AsyncAPI document shows it (publishes cannot be read from code). */
export interface PublishContract {
  subject: string;
  /** The payload's schema (as a handler's `schema`). Default none: the document shows any JSON value. */
  schema?: PayloadSchema;
  /** One line for the document's readers. */
  description?: string;
  /**
   * Check each payload `JetStreamClient.publish()`, `emit()` and `publishBatch()` send on a matching
   * subject against `schema` before sending: one that fails is refused with a
   * `PublishValidationError` naming the failing fields, and nothing is sent. The payload is sent
   * as given (the validator's output is not substituted). Needs `schema`. Default `false`.
   */
  validate?: boolean;
}

/** What the AsyncAPI document says beyond the handlers: `JetStreamModule.forRoot({ contract })`. */
export interface ContractOptions {
  /** The subjects the service publishes, with their payload schemas: the document's `send` operations. Default none. */
  publishes?: PublishContract[];
  /** The document's `info.version`. Default `'0.0.0'`. */
  version?: string;
  /** The document's `info.description`. */
  description?: string;
}

/** The one field the module's options take. */
export interface ContractModuleOptions {
  /** The service's contract: what it publishes, for the AsyncAPI document (docs/contracts.md). Default none. */
  contract?: ContractOptions;
}
