import type { DiscoveryService } from '@nestjs/core';
import { MetadataScanner } from '@nestjs/core';
import { ListenerMetadataExplorer } from '@nestjs/microservices/listener-metadata-explorer.js';

/** A message or event handler of the app, as Nest's metadata declares it. */
export interface DiscoveredHandler {
  /** `Class.method`, for messages. */
  readonly handler: string;
  readonly pattern: unknown;
  /** The transport it is bound to (`Transport.NATS`, ours, …); undefined: every server takes it. */
  readonly transport: unknown;
  readonly isEventHandler: boolean;
}

/**
 * Every `@MessagePattern`/`@EventPattern` (and so `@JetStreamEvent`) of the app's controllers,
 * read from Nest's metadata the way Nest's own microservices module reads it.
 */
export function discoverHandlers(discovery: DiscoveryService): DiscoveredHandler[] {
  const explorer = new ListenerMetadataExplorer(new MetadataScanner());
  const found: DiscoveredHandler[] = [];
  for (const { instance } of discovery.getControllers()) {
    if (typeof instance !== 'object' || instance === null) continue;
    for (const def of explorer.explore(instance)) {
      const handler = `${instance.constructor.name}.${def.methodKey}`;
      for (const pattern of def.patterns) found.push({ handler, pattern, transport: def.transport, isEventHandler: def.isEventHandler });
    }
  }
  return found;
}
