import { createReadStream } from 'node:fs';
import { Controller, Get, Header, Inject, Module, NotFoundException, Param, StreamableFile, type DynamicModule } from '@nestjs/common';
import { ASYNCAPI_ASSETS, asyncApiPage, renderAsyncApiJson, renderAsyncApiYaml, type AsyncApiDocument } from '@nest-jetstream/transport/asyncapi';

const DOCUMENT_SOURCE = Symbol('DOCUMENT_SOURCE');

interface DocumentSource {
  title: string;
  load: () => Promise<AsyncApiDocument>;
}

const CONTENT_TYPES: Record<keyof typeof ASYNCAPI_ASSETS, string> = {
  'asyncapi-standalone.js': 'text/javascript; charset=utf-8',
  'asyncapi.css': 'text/css; charset=utf-8',
};

/**
 * `GET /asyncapi` (the page, rendered in the browser by the AsyncAPI project's React component,
 * served from node_modules), `GET /asyncapi.json` and `GET /asyncapi.yaml` (the document, made
 * once from the service's module on the first request).
 */
@Controller()
class AsyncApiPageController {
  private document?: Promise<AsyncApiDocument>;

  constructor(@Inject(DOCUMENT_SOURCE) private readonly source: DocumentSource) {}

  private load(): Promise<AsyncApiDocument> {
    this.document ??= this.source.load();
    this.document.catch(() => (this.document = undefined));
    return this.document;
  }

  @Get('asyncapi')
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return asyncApiPage({ title: `${this.source.title}: AsyncAPI`, documentUrl: '/asyncapi.json', assetsPath: '/asyncapi/assets' });
  }

  @Get('asyncapi.json')
  @Header('Content-Type', 'application/json; charset=utf-8')
  async json(): Promise<string> {
    return renderAsyncApiJson(await this.load());
  }

  @Get('asyncapi.yaml')
  @Header('Content-Type', 'application/yaml; charset=utf-8')
  async yaml(): Promise<string> {
    return renderAsyncApiYaml(await this.load());
  }

  @Get('asyncapi/assets/:file')
  asset(@Param('file') file: string): StreamableFile {
    if (!Object.hasOwn(ASYNCAPI_ASSETS, file)) throw new NotFoundException(`no asset ${file}: the page uses ${Object.keys(ASYNCAPI_ASSETS).join(', ')}`);
    const name = file as keyof typeof ASYNCAPI_ASSETS;
    return new StreamableFile(createReadStream(require.resolve(ASYNCAPI_ASSETS[name])), { type: CONTENT_TYPES[name] });
  }
}

/** The AsyncAPI endpoints of a service: `load` builds its document (`buildAsyncApiDocument`). */
@Module({})
export class AsyncApiPageModule {
  static forDocument(title: string, load: () => Promise<AsyncApiDocument>): DynamicModule {
    return { module: AsyncApiPageModule, controllers: [AsyncApiPageController], providers: [{ provide: DOCUMENT_SOURCE, useValue: { title, load } }] };
  }
}
