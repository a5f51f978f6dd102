/** A brand instead of `instanceof`, so a CommonJS and an ESM copy of the library still recognise each other's contexts. */
export const JETSTREAM_CONTEXT_BRAND = Symbol.for('@nest-jetstream/transport:context');

export interface BrandedContext {
  [JETSTREAM_CONTEXT_BRAND]: true;
  handlerError?: unknown;
}

export function isJetStreamContext(value: unknown): value is BrandedContext {
  return typeof value === 'object' && value !== null && (value as Partial<BrandedContext>)[JETSTREAM_CONTEXT_BRAND] === true;
}
