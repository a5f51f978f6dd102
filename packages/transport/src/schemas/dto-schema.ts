import { plainToInstance } from 'class-transformer';
import { validate, validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';
import { targetConstructorToSchema, validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { StandardSchemaIssue, StandardSchemaResult, StandardSchemaV1 } from './standard-schema.js';

/** A class-validator DTO: a class whose properties carry class-validator decorators. */
export type DtoClass<T extends object = object> = new (...args: never[]) => T;

/** Options of `dtoSchema`. */
export interface DtoSchemaOptions {
  /** class-validator's options, as `ValidationPipe` takes them (e.g. `{ whitelist: true, forbidNonWhitelisted: true }`). Default `{}`. */
  validator?: ValidatorOptions;
  /** Validate with `validateSync` (no async constraint): a synchronous handler then settles without a microtask. Default true. */
  sync?: boolean;
}

/** class-validator's errors as Standard Schema issues: one per failed constraint, with the property path (nested DTOs included). */
function issuesOf(errors: readonly ValidationError[], parent: readonly string[] = []): StandardSchemaIssue[] {
  const issues: StandardSchemaIssue[] = [];
  for (const error of errors) {
    const path = [...parent, error.property];
    for (const message of Object.values(error.constraints ?? {})) issues.push({ message, path });
    if (error.children?.length) issues.push(...issuesOf(error.children, path));
  }
  return issues;
}

type Json = Record<string, unknown>;
const REF_PREFIX = '#/definitions/';

/**
 * The DTO's JSON Schema with every nested DTO inlined: class-validator-jsonschema writes a nested
 * DTO as `$ref: '#/definitions/Name'`, a definition an AsyncAPI document would not carry. A DTO
 * that contains itself (directly or not) keeps a plain `{ type: 'object', title }` at the repeat.
 */
function dtoJsonSchema(dto: DtoClass): Json {
  const definitions = validationMetadatasToSchemas({ refPointerPrefix: REF_PREFIX }) as Record<string, Json>;
  const inline = (node: unknown, seen: readonly string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => inline(n, seen));
    if (typeof node !== 'object' || node === null) return node;
    const ref = (node as Json).$ref;
    if (typeof ref === 'string' && ref.startsWith(REF_PREFIX)) {
      const name = ref.slice(REF_PREFIX.length);
      const { $ref: _ref, ...rest } = node as Json;
      if (seen.includes(name) || !definitions[name]) return { type: 'object', title: name, ...rest };
      return { title: name, ...(inline(definitions[name], [...seen, name]) as Json), ...rest };
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v, seen)]));
  };
  return { title: dto.name, ...(inline(targetConstructorToSchema(dto, { refPointerPrefix: REF_PREFIX }), [dto.name]) as Json) };
}

/**
 * A class-validator DTO as a Standard Schema validator with its JSON Schema: what a handler's
 * `schema` takes (`@JetStreamEvent('orders.created', { schema: dtoSchema(OrderCreatedDto) })`).
 * The handler receives an instance of the DTO (as `ValidationPipe` with `transform: true` gives).
 * Needs the optional peers class-validator, class-transformer and class-validator-jsonschema.
 */
export function dtoSchema<T extends object>(dto: DtoClass<T>, options: DtoSchemaOptions = {}): StandardSchemaV1<unknown, T> {
  const validatorOptions = options.validator ?? {};
  const result = (instance: T, errors: readonly ValidationError[]): StandardSchemaResult<T> =>
    errors.length ? { issues: issuesOf(errors) } : { value: instance };
  const notAnObject = (value: unknown): StandardSchemaResult<T> | undefined =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? undefined
      : { issues: [{ message: `expected an object (${dto.name}), got ${Array.isArray(value) ? 'an array' : typeof value}` }] };
  return {
    '~standard': {
      version: 1,
      vendor: 'class-validator',
      validate: (value) => {
        const refused = notAnObject(value);
        if (refused) return refused;
        const instance = plainToInstance(dto as new () => T, value);
        if (options.sync ?? true) return result(instance, validateSync(instance, validatorOptions));
        return validate(instance, validatorOptions).then((errors) => result(instance, errors));
      },
      jsonSchema: { input: () => dtoJsonSchema(dto) },
    },
  };
}
