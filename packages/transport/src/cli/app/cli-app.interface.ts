import type { DynamicModule, Type } from '@nestjs/common';
import type { JetStreamOptions } from '../../interfaces/jetstream-options.interface.js';

/** A Nest module, as `@Module` declares it or as a `forRoot()`-style method returns it. */
export type AppModuleLike = Type<unknown> | DynamicModule;

/**
 * What `--app file#export` may point at, when the module alone is not enough: a module made by a
 * factory (one that needs its configuration), the app's name, and what cannot be read from the code.
 * The export may also be the module itself, a function returning either, or an array of these
 * (several services in one file). See docs/cli.md.
 */
export interface JetStreamCliApp {
  /** The module to load (or a function, possibly async, that returns it). */
  module: AppModuleLike | (() => AppModuleLike | Promise<AppModuleLike>);
  /** The app's name in the output and in generated files (e.g. the Kubernetes Deployment to scale). Default: its `serviceName`. */
  name?: string;
  /** The module's JetStream options, for an app that builds `JetStreamServer` itself instead of importing `JetStreamModule`. */
  options?: JetStreamOptions;
  /** Subjects the app publishes (they cannot be read from the code): added to its `permissions`. */
  publishes?: readonly string[];
  /** Core-NATS subjects the app also uses (request/reply), added to its `permissions` as they are. */
  coreNats?: { publish?: readonly string[]; subscribe?: readonly string[]; allowResponses?: boolean };
}
