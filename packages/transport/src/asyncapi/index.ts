/**
 * The app's AsyncAPI 3.0 document, from its module without connecting, and its rendered page
 * (docs/contracts.md). YAML output needs the optional peer `yaml`.
 * @module @nest-jetstream/transport/asyncapi
 */
export { buildAsyncApiDocument, renderAsyncApiJson, renderAsyncApiYaml } from '../contract/asyncapi/build-asyncapi.js';
export type { BuildAsyncApiOptions } from '../contract/asyncapi/build-asyncapi.js';
export { asyncApiDocumentOf, channelIdOf } from '../contract/asyncapi/asyncapi-document.js';
export type { AsyncApiDocumentOptions } from '../contract/asyncapi/asyncapi-document.js';
export { collectAppContract } from '../contract/asyncapi/collect-app.js';
export type { CollectOptions } from '../contract/asyncapi/collect-app.js';
export type { AppContract, ContractHandler } from '../contract/asyncapi/app-contract.js';
export type { AsyncApiDocument, AsyncApiChannel, AsyncApiOperation, AsyncApiMessage, JsonSchema } from '../contract/asyncapi/asyncapi-types.js';
export { asyncApiPage, ASYNCAPI_ASSETS } from '../contract/asyncapi/asyncapi-page.js';
export type { AsyncApiPageOptions } from '../contract/asyncapi/asyncapi-page.js';
