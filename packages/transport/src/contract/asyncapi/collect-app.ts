import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { DEFAULTS, JETSTREAM_EXTRAS_KEY, JETSTREAM_TRANSPORT } from '../../constants.js';
import { JetStreamConfigError } from '../../errors/jetstream-transport.error.js';
import type { JetStreamEventOptions } from '../../interfaces/jetstream-event-options.interface.js';
import type { JetStreamServerOptions } from '../../interfaces/jetstream-options.interface.js';
import { JETSTREAM_MODULE_OPTIONS } from '../../module/jetstream-module-definition.js';
import { resolveBinding } from '../../bindings/resolve-bindings.js';
import { subjectMatches } from '../../utils/subjects.js';
import { checkSchemaOption, handlerAt, handlerOwner } from '../../schemas/payload-validation.js';
import { declaredStreamOf, type AppContract, type ContractHandler } from './app-contract.js';

/** A handler Nest offered: kept until the options are known. */
interface Offered {
  subject: string;
  callback: MessageHandler;
  isEventHandler: boolean;
  extras: Record<string, unknown>;
}

/**
 * A transport strategy that never listens: Nest offers it the app's JetStream handlers (as it
 * offers them to `JetStreamServer`), and it keeps them. Nothing connects.
 */
class HandlerCollector extends Server implements CustomTransportStrategy {
  override transportId = JETSTREAM_TRANSPORT;
  readonly offered: Offered[] = [];

  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    this.offered.push({ subject: this.normalizePattern(pattern as string), callback, isEventHandler, extras });
  }

  listen(callback: (error?: unknown) => void): void {
    callback(new JetStreamConfigError('The AsyncAPI collector reads handlers only; it never listens.'));
  }

  close(): void {}

  on(): never {
    throw new JetStreamConfigError('The AsyncAPI collector has no events.');
  }

  unwrap<T>(): T {
    throw new JetStreamConfigError('The AsyncAPI collector has no connection.');
  }
}

/** Options of `collectAppContract`. */
export interface CollectOptions {
  /** The JetStream options, when the module has no `JetStreamModule` (a bare `JetStreamServer`). Default: the module's. */
  jetStreamOptions?: JetStreamServerOptions;
}

/**
 * The app's handlers (resolved as `JetStreamServer` resolves them: defaults applied, options
 * checked), its options and declared publishes, read by initialising the module as a microservice
 * whose transport never listens: providers are made, nothing connects to NATS.
 */
export async function collectAppContract(appModule: Type<unknown> | DynamicModule, options: CollectOptions = {}): Promise<AppContract> {
  const collector = new HandlerCollector();
  const app = await NestFactory.createMicroservice(appModule, { strategy: collector, logger: false, abortOnError: false });
  let moduleOptions: JetStreamServerOptions | undefined;
  try {
    await app.init();
    moduleOptions = options.jetStreamOptions ?? optionsOf(() => app.get<JetStreamServerOptions>(JETSTREAM_MODULE_OPTIONS, { strict: false }));
  } finally {
    await app.close();
  }
  if (!moduleOptions) {
    throw new JetStreamConfigError(
      'collectAppContract: the module imports no JetStreamModule, so its JetStream options are unknown. Import JetStreamModule.forRoot(...) in it, or pass { jetStreamOptions }.',
    );
  }
  const jsOptions = moduleOptions;
  const handlers = collector.offered.flatMap((o) => handlerOf(o, jsOptions));
  return { options: jsOptions, handlers, publishes: jsOptions.contract?.publishes ?? [] };
}

function optionsOf(get: () => JetStreamServerOptions): JetStreamServerOptions | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** A handler the server would bind (`@JetStreamEvent`, or a plain `@EventPattern` with `bindPlainEventPatterns`), resolved. */
function handlerOf(offered: Offered, options: JetStreamServerOptions): ContractHandler[] {
  const own = offered.extras[JETSTREAM_EXTRAS_KEY] as JetStreamEventOptions | undefined;
  if (!own && !(offered.isEventHandler && options.bindPlainEventPatterns === true)) return [];
  const at = handlerAt(offered.subject, offered.extras);
  const owner = handlerOwner(offered.extras);
  // As the server resolves it (server/server-facts.ts bindingOf): every default applied, every option checked.
  const serviceName = options.serviceName ?? DEFAULTS.serviceName;
  const store = options.idempotency?.store;
  const resolved = resolveBinding(offered.subject, own ?? {}, offered.callback, {
    defaults: options.consumerDefaults ?? {},
    serviceName,
    deadLetterDefault: options.deadLetter ?? false,
    idempotencyStore: store,
    owner,
  });
  const { handler: _h, direct: _d, idempotency: _i, codec: _c, ...binding } = resolved;
  const stream = binding.stream ?? declaredStreamOf(options.streams ?? [], binding.subject, subjectMatches)?.name;
  return [{ binding: { ...binding, stream }, owner, schema: checkSchemaOption(at, 'schema', own?.schema) }];
}
