import 'reflect-metadata';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import type { UnresolvedBinding } from '../../bindings/handler-binding.js';
import { DEFAULTS, JETSTREAM_EXTRAS_KEY } from '../../constants.js';
import type { JetStreamEventOptions } from '../../interfaces/jetstream-event-options.interface.js';
import type { JetStreamOptions } from '../../interfaces/jetstream-options.interface.js';
import { JETSTREAM_MODULE_OPTIONS } from '../../module/jetstream-module-definition.js';
import { bindingOf } from '../../server/server-facts.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { AppModuleLike, JetStreamCliApp } from './cli-app.interface.js';
import { HandlerRecorder } from './handler-recorder.js';

/** One handler of an app, as the CLI sees it: its binding (every default applied) and its own options. */
export interface AppHandler {
  binding: UnresolvedBinding;
  /** The handler's `@JetStreamEvent` options as written (none for a plain `@EventPattern`). */
  own: JetStreamEventOptions;
}

/** An app loaded from `--app`: its name, its JetStream options and its handlers. */
export interface LoadedApp {
  name: string;
  serviceName: string;
  options: JetStreamOptions;
  handlers: AppHandler[];
  spec: JetStreamCliApp;
  /** Where it came from (`--app` as given), for messages. */
  source: string;
  /** The module itself (a factory export already called), for commands that create it again (`asyncapi`). */
  module: AppModuleLike;
}

/** Loads every `--app file[#export]`: each file may hold several apps (an array export). */
export async function loadApps(refs: readonly string[], cwd = process.cwd(), loadModule?: ModuleLoader): Promise<LoadedApp[]> {
  const apps: LoadedApp[] = [];
  // require() also loads ES modules on every Node this package supports (20.19+, 22.12+).
  const load = loadModule ?? createRequire(join(cwd, 'noop.js'));
  for (const ref of refs) {
    for (const spec of await specsOf(ref, cwd, load)) apps.push(await loadApp(spec, ref));
  }
  return apps;
}

/** How a file named by `--app` is loaded: Node's `require` (a test passes its own, which compiles TypeScript). */
export type ModuleLoader = (path: string) => unknown;

async function specsOf(ref: string, cwd: string, load: ModuleLoader): Promise<JetStreamCliApp[]> {
  const hash = ref.lastIndexOf('#');
  const file = hash > 0 ? ref.slice(0, hash) : ref;
  const exportName = hash > 0 ? ref.slice(hash + 1) : undefined;
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let exports: Record<string, unknown>;
  try {
    exports = load(path) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(
      `--app ${ref}: cannot load ${path}: ${err instanceof Error ? err.message : String(err)}. Point --app at the built module file (e.g. dist/app.module.js#AppModule).`,
      EXIT.app,
      {
        cause: err,
      },
    );
  }
  const names = exportName ? [exportName] : ['default', 'AppModule'];
  const name = names.find((n) => exports[n] !== undefined);
  if (!name) {
    const available = Object.keys(exports).join(', ') || 'none';
    throw new CliError(
      `--app ${ref}: ${path} exports no ${exportName ? `"${exportName}"` : 'default or AppModule'} (its exports: ${available}). Name the export after #, e.g. --app ${file}#${Object.keys(exports)[0] ?? 'AppModule'}.`,
      EXIT.app,
    );
  }
  const value = await resolveValue(exports[name]);
  return (Array.isArray(value) ? value : [value]).map((v) => (isSpec(v) ? v : { module: v as AppModuleLike }));
}

/** A factory (not a class) is called, and its result read again. */
async function resolveValue(value: unknown): Promise<unknown> {
  if (typeof value === 'function' && !isClass(value)) return resolveValue(await (value as () => unknown)());
  return value;
}

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && (/^class[\s{]/.test(Function.prototype.toString.call(fn)) || Reflect.getMetadataKeys(fn).length > 0);
}

/** An app spec rather than a `DynamicModule` (which carries a module too, but with its providers, imports...). */
function isSpec(v: unknown): v is JetStreamCliApp {
  if (typeof v !== 'object' || v === null || !('module' in v)) return false;
  return !DYNAMIC_MODULE_KEYS.some((k) => k in v);
}

const DYNAMIC_MODULE_KEYS = ['imports', 'providers', 'controllers', 'exports', 'global'];

/** Creates the module the way a test would, as a microservice whose transport only records its handlers; it never listens. */
async function loadApp(spec: JetStreamCliApp, source: string): Promise<LoadedApp> {
  const module = (await resolveValue(spec.module)) as AppModuleLike;
  const { NestFactory } = await import('@nestjs/core');
  const recorder = new HandlerRecorder();
  let options: JetStreamOptions | undefined = spec.options;
  const restoreConsole = stdoutToStderr();
  try {
    const app = await NestFactory.createMicroservice(module, { strategy: recorder, logger: false, abortOnError: false });
    try {
      await app.init();
      options ??= app.get<JetStreamOptions>(JETSTREAM_MODULE_OPTIONS, { strict: false });
    } catch (err) {
      if (!options) throw err;
    } finally {
      await app.close();
    }
  } catch (err) {
    throw new CliError(
      `--app ${source}: the module could not be created: ${err instanceof Error ? err.message : String(err)}. It is created without listening (no NATS connection), like in a unit test; give it what it needs through a factory export (see docs/cli.md).`,
      EXIT.app,
      { cause: err },
    );
  } finally {
    restoreConsole();
  }
  if (!options) {
    throw new CliError(
      `--app ${source}: the module imports no JetStreamModule, so its JetStream options are unknown. Import JetStreamModule.forRoot(...), or export { module, options } (see docs/cli.md).`,
      EXIT.app,
    );
  }
  const serviceName = options.serviceName ?? DEFAULTS.serviceName;
  const handlers: AppHandler[] = [];
  for (const h of recorder.handlers) {
    const own = h.extras[JETSTREAM_EXTRAS_KEY] as JetStreamEventOptions | undefined;
    if (!own && !(h.isEventHandler && options.bindPlainEventPatterns === true)) continue;
    handlers.push({ binding: bindingOf(h.subject, own, h.extras, h.callback, options), own: own ?? {} });
  }
  return { name: spec.name ?? serviceName, serviceName, options, handlers, spec, source, module };
}

/** What the app prints while it is created and closed goes to stderr: stdout holds the command's output alone (`--json`). */
function stdoutToStderr(): () => void {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
  };
}
