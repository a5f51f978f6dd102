import type { DynamicModule, Type } from '@nestjs/common';
import { stringify } from 'yaml';
import type { AsyncApiDocument } from './asyncapi-types.js';
import { asyncApiDocumentOf, type AsyncApiDocumentOptions } from './asyncapi-document.js';
import { collectAppContract, type CollectOptions } from './collect-app.js';

/** Options of `buildAsyncApiDocument`. */
export interface BuildAsyncApiOptions extends AsyncApiDocumentOptions, CollectOptions {}

/**
 * The AsyncAPI 3.0 document of an app, from its module, without connecting to NATS: the module is
 * initialised as a microservice whose transport never listens (its providers are made: give it a
 * configuration that opens nothing), its `@JetStreamEvent` handlers read as `JetStreamServer`
 * resolves them, and `JetStreamModule.forRoot({ contract: { publishes } })` gives what it sends.
 */
export async function buildAsyncApiDocument(appModule: Type<unknown> | DynamicModule, options: BuildAsyncApiOptions = {}): Promise<AsyncApiDocument> {
  return asyncApiDocumentOf(await collectAppContract(appModule, options), options);
}

/** The document as YAML (needs the optional peer `yaml`), as `nest-jetstream asyncapi` writes it. */
export function renderAsyncApiYaml(document: AsyncApiDocument): string {
  return stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** The document as JSON, two-space indented, ending with a newline. */
export function renderAsyncApiJson(document: AsyncApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
