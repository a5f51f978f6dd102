// The Standard Schema interface (https://standardschema.dev, v1) and the Standard JSON Schema
// extension, as their specs ask libraries to carry them: copied types, no dependency. zod 4.2+,
// valibot, arktype and the library's own `dtoSchema()` (class-validator DTOs) implement them.

/** One failed check of a payload: what is wrong, and where (`path`: property names and indexes). */
export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[];
}

/** What a Standard Schema's `validate` answers: the parsed value, or the issues. */
export type StandardSchemaResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly StandardSchemaIssue[] };

/** Standard JSON Schema: the JSON Schema of a validator's input (what is published) or output. */
export interface StandardJsonSchemaConverter {
  input(options: { readonly target: 'draft-07' | 'draft-2020-12' | 'openapi-3.0' | (string & {}) }): Record<string, unknown>;
}

/** A Standard Schema validator (`~standard`): zod, valibot, arktype, or `dtoSchema(Dto)` for a class-validator DTO. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output };
    /** The Standard JSON Schema extension: how the AsyncAPI document gets the payload's JSON Schema. */
    readonly jsonSchema?: StandardJsonSchemaConverter;
  };
}

/**
 * A payload's schema, as `@JetStreamEvent(subject, { schema })` and `contract.publishes[].schema`
 * take it: a Standard Schema validator. Without the Standard JSON Schema extension, give `jsonSchema`
 * beside it (`{ validator, jsonSchema }`), or the document shows the payload as any JSON value.
 */
export type PayloadSchema = StandardSchemaV1 | { readonly validator: StandardSchemaV1; readonly jsonSchema: Record<string, unknown> };

/** Whether `value` is a payload schema (a Standard Schema, or one with its JSON Schema beside it). */
export function isPayloadSchema(value: unknown): value is PayloadSchema {
  if (isStandardSchema(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { validator, jsonSchema } = value as { validator?: unknown; jsonSchema?: unknown };
  return isStandardSchema(validator) && typeof jsonSchema === 'object' && jsonSchema !== null;
}

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const std = (value as { '~standard'?: { version?: unknown; validate?: unknown } })['~standard'];
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function';
}

/** The validator of a payload schema. */
export function validatorOf(schema: PayloadSchema): StandardSchemaV1 {
  return 'validator' in schema ? schema.validator : schema;
}

/**
 * The JSON Schema (draft 07, which AsyncAPI's own schema format extends) of a payload schema, or
 * undefined when the validator cannot tell it (no Standard JSON Schema extension, no `jsonSchema`).
 */
export function payloadJsonSchema(schema: PayloadSchema): Record<string, unknown> | undefined {
  if ('validator' in schema) return schema.jsonSchema;
  const json = schema['~standard'].jsonSchema?.input({ target: 'draft-07' });
  if (!json) return undefined;
  // The document carries its own format (schemaFormat); a `$schema` inside a payload is noise to readers and parsers.
  const { $schema: _dialect, ...rest } = json;
  return rest;
}

/** The name of a validator's library (`zod`, `valibot`, `class-validator`), for messages. */
export function vendorOf(schema: PayloadSchema): string {
  return validatorOf(schema)['~standard'].vendor;
}
