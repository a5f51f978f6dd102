/** The core-NATS ClientProxy (request/reply). */
export const CORE_NATS = Symbol('CORE_NATS');
