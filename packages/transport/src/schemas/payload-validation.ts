import type { MessageHandler } from '@nestjs/microservices';
import { JETSTREAM_CLASS_KEY, JETSTREAM_METHOD_KEY } from '../constants.js';
import { describeValue } from '../errors/describe-value.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { PayloadValidationError } from './payload-validation.error.js';
import { isPayloadSchema, validatorOf, type PayloadSchema, type StandardSchemaIssue, type StandardSchemaResult } from './standard-schema.js';

/** A handler call (`binding.handler` or `binding.direct`): the decoded payload and the context. */
type HandlerCall = (data: unknown, ctx: never) => unknown;

/** The parts of a handler binding a schema wraps (bindings/handler-binding.ts). */
export interface SchemaBound {
  subject: string;
  handler: MessageHandler;
  direct?: (data: unknown, ctx: object) => unknown;
}

/** What a check of one payload comes to: the value to hand on, or the issues (a Promise for an async validator). */
export type PayloadCheck = (value: unknown) => StandardSchemaResult<unknown> | Promise<StandardSchemaResult<unknown>>;

/** A schema option as the user gave it, checked: the schema, or a config error naming `at` and the option. */
export function checkSchemaOption(at: string, option: string, value: unknown): PayloadSchema | undefined {
  if (value === undefined) return undefined;
  if (isPayloadSchema(value)) return value;
  const isClass = typeof value === 'function';
  const got = isClass ? `the class ${value.name || '(anonymous)'}` : describeValue(value);
  const hint = isClass
    ? ` A class is not a schema: for a class-validator DTO pass dtoSchema(${value.name || 'YourDto'}) (from @nest-jetstream/transport/class-validator).`
    : '';
  throw new JetStreamConfigError(
    `${at}: ${option} must be a Standard Schema validator (zod, valibot, arktype: an object with '~standard'), dtoSchema(YourDto) for a class-validator DTO, or { validator, jsonSchema }; got ${got}.${hint}`,
  );
}

/** The check of a schema: its validator's `validate`. */
export function payloadCheck(schema: PayloadSchema): PayloadCheck {
  const validator = validatorOf(schema);
  return (value) => validator['~standard'].validate(value);
}

/**
 * Wraps `call` so the payload is validated before it runs: the handler gets the validator's
 * value (a zod default applied, a DTO instance), and a payload with issues throws a
 * `PayloadValidationError` (terminated and dead-lettered with the failing fields). Synchronous
 * for a synchronous validator: a synchronous handler still settles without a microtask.
 */
export function validatingCall<F extends HandlerCall>(call: F, check: PayloadCheck, subject: string, at: string): F {
  const settle = (result: StandardSchemaResult<unknown>, ctx: never): unknown => {
    if (result.issues) throw new PayloadValidationError(subject, at, result.issues as readonly StandardSchemaIssue[]);
    return call(result.value, ctx);
  };
  const validated = (data: unknown, ctx: never): unknown => {
    const result = check(data);
    return result instanceof Promise ? result.then((r) => settle(r, ctx)) : settle(result, ctx);
  };
  return validated as F;
}

/**
 * A handler with a `schema` gets its calls wrapped (here, once, when it is bound); one without
 * is returned as it is: nothing is paid per message.
 */
export function withPayloadSchema<B extends SchemaBound>(binding: B, schemaOption: unknown, at: string): B {
  const schema = checkSchemaOption(at, 'schema', schemaOption);
  if (!schema) return binding;
  const check = payloadCheck(schema);
  binding.handler = Object.assign(validatingCall(binding.handler, check, binding.subject, at), binding.handler);
  if (binding.direct) binding.direct = validatingCall(binding.direct, check, binding.subject, at);
  return binding;
}

/** `@JetStreamEvent('subject') on Class.method`, as the binding's own errors name a handler. */
export function handlerAt(subject: string, extras: Record<string, unknown>): string {
  const owner = handlerOwner(extras);
  return `@JetStreamEvent('${subject}')${owner ? ` on ${owner}` : ''}`;
}

/** `Class.method` of a `@JetStreamEvent` handler, from the extras its decorator wrote; undefined when they name neither. */
export function handlerOwner(extras: Record<string, unknown>): string | undefined {
  return [extras[JETSTREAM_CLASS_KEY], extras[JETSTREAM_METHOD_KEY]].filter((n) => typeof n === 'string').join('.') || undefined;
}

/** The server's one call when it binds a handler (server/handler-intake.ts): its `schema` option, if any, wraps its calls. */
export function withHandlerSchema<B extends SchemaBound>(binding: B, own: { schema?: unknown } | undefined, extras: Record<string, unknown>): B {
  return own?.schema === undefined ? binding : withPayloadSchema(binding, own.schema, handlerAt(binding.subject, extras));
}
