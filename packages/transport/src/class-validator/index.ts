/**
 * class-validator DTOs as payload schemas (optional peers: class-validator, class-transformer,
 * class-validator-jsonschema): `@JetStreamEvent(subject, { schema: dtoSchema(Dto) })`.
 * @module @nest-jetstream/transport/class-validator
 */
export { dtoSchema } from '../schemas/dto-schema.js';
export type { DtoClass, DtoSchemaOptions } from '../schemas/dto-schema.js';
