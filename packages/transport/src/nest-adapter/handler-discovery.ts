import type { DiscoveryService } from '@nestjs/core';
import { MetadataScanner } from '@nestjs/core';
import { PATTERN_HANDLER_METADATA, PATTERN_METADATA, TRANSPORT_METADATA } from '@nestjs/microservices/constants.js';

/*
 * The one reader of the app's message and event handlers. The controllers come from Nest's public
 * registry (`DiscoveryService.getControllers()`, with JetStreamModule) or from the app container
 * nest-internals.ts notes at registration (without it); their methods from `MetadataScanner`
 * (public); what each method declares from the metadata Nest's `@MessagePattern`/`@EventPattern`
 * write, read as Nest's own ListenerMetadataExplorer reads it. The metadata keys are Nest's
 * constants (not in its root export): handler-discovery.spec.ts pins that this reader and Nest's
 * explorer agree, on Nest 12 and 11.
 */

/** Nest's `PatternHandler.EVENT` (its enum is not exported from the root either). */
const EVENT_HANDLER = 2;

/** A message or event handler of the app, as Nest's metadata declares it. */
export interface DiscoveredHandler {
  /** `Class.method`. */
  readonly handler: string;
  readonly pattern: unknown;
  /** The transport it is bound to (`Transport.NATS`, ours, …); undefined: every server takes it. */
  readonly transport: unknown;
  readonly isEventHandler: boolean;
}

/** Where the controllers come from: Nest's DiscoveryService, or an app container (anything with `getModules()`). */
export type ControllerSource = Pick<DiscoveryService, 'getControllers'> | { getModules(): Map<unknown, { controllers: Map<unknown, { instance?: unknown }> }> };

const scanner = new MetadataScanner();

function controllerInstances(source: ControllerSource | undefined): unknown[] {
  if (typeof source !== 'object' || source === null) return [];
  if ('getControllers' in source && typeof source.getControllers === 'function') return source.getControllers().map((w) => w.instance as unknown);
  if ('getModules' in source && typeof source.getModules === 'function') {
    return [...source.getModules().values()].flatMap(({ controllers }) => [...controllers.values()].map((w) => w.instance));
  }
  return [];
}

/**
 * Every `@MessagePattern`/`@EventPattern` (and so `@JetStreamEvent`) of the app's controllers, one
 * entry per pattern. An unknown source (no module, not registered yet) has none.
 */
export function discoverHandlers(source: ControllerSource | undefined): DiscoveredHandler[] {
  const found: DiscoveredHandler[] = [];
  for (const instance of controllerInstances(source)) {
    if (typeof instance !== 'object' || instance === null) continue;
    const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const methodKey of scanner.getAllMethodNames(proto)) {
      const method = proto[methodKey];
      if (typeof method !== 'function') continue;
      const handlerType: unknown = Reflect.getMetadata(PATTERN_HANDLER_METADATA, method);
      if (handlerType === undefined) continue;
      const patterns: unknown = Reflect.getMetadata(PATTERN_METADATA, method);
      const transport: unknown = Reflect.getMetadata(TRANSPORT_METADATA, method);
      const handler = `${instance.constructor.name}.${methodKey}`;
      for (const pattern of Array.isArray(patterns) ? patterns : []) found.push({ handler, pattern, transport, isEventHandler: handlerType === EVENT_HANDLER });
    }
  }
  return found;
}
