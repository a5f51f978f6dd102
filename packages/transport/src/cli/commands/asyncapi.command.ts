import { readFileSync, writeFileSync } from 'node:fs';
import { buildAsyncApiDocument, renderAsyncApiJson, renderAsyncApiYaml } from '../../contract/asyncapi/build-asyncapi.js';
import type { JetStreamServerOptions } from '../../interfaces/jetstream-options.interface.js';
import type { LoadedApp } from '../app/app-loader.js';
import type { CliCommand } from '../cli-command.js';
import { CliError, EXIT } from '../exit-codes.js';
import { stringFlag } from '../flags.js';

const FORMATS = ['yaml', 'json'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `Usage: nest-jetstream asyncapi --app FILE [--format yaml|json] [--out FILE [--check]] [--title T] [--doc-version V] [--server-host HOST]

  The app's AsyncAPI 3.0 document, from its module without connecting (docs/contracts.md): a channel
  per subject, send/receive operations, payload schemas, the consumer settings and the dead-letter route.
  --format yaml|json           default yaml (yaml needs the optional peer dependency \`yaml\`)
  --out FILE                   write the document there (one --app only; default: stdout)
  --check                      compare with --out instead of writing: exit 7 when it differs
  --title T                    the document's title (default: the service's name)
  --doc-version V              the document's info.version (default: the module's contract.version, else 0.0.0)
  --server-host HOST           the server host in the document (default: the first server of the module's connection)`;

/** `nest-jetstream asyncapi`: buildAsyncApiDocument (the `/asyncapi` subpath) for each `--app`. */
export const asyncapiCommand: CliCommand = {
  name: 'asyncapi',
  summary: "the app's AsyncAPI 3.0 document (channels, operations, payload schemas, dead letters), without connecting",
  usage: USAGE,
  connects: false,
  readsApps: true,
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    check: { type: 'boolean' },
    title: { type: 'string' },
    'doc-version': { type: 'string' },
    'server-host': { type: 'string' },
  },
  async run(ctx) {
    const format = (stringFlag(ctx.values, 'format') ?? 'yaml') as Format;
    if (!FORMATS.includes(format)) throw new CliError(`--format ${format}: not a format; use yaml or json.`, EXIT.usage);
    const out = stringFlag(ctx.values, 'out');
    if (ctx.values.check === true && !out) throw new CliError('--check compares with a file: name it with --out.', EXIT.usage);
    const apps = await ctx.apps();
    if (out && apps.length !== 1)
      throw new CliError(`--out writes one document, but --app gave ${apps.length} apps: run the command once per app.`, EXIT.usage);
    const texts: string[] = [];
    const documents: unknown[] = [];
    for (const app of apps) {
      const document = await documentOf(app, ctx.values);
      documents.push(document);
      texts.push(format === 'json' ? renderAsyncApiJson(document) : renderAsyncApiYaml(document));
    }
    if (out) return writeOrCheck(ctx, out, texts[0] ?? '', documents[0], ctx.values.check === true);
    if (ctx.values.json === true) ctx.out.result(apps.length === 1 ? documents[0] : documents);
    else ctx.out.raw(format === 'yaml' ? texts.join('---\n') : texts.join(''));
    return EXIT.ok;
  },
};

async function documentOf(app: LoadedApp, values: Parameters<CliCommand['run']>[0]['values']) {
  try {
    return await buildAsyncApiDocument(app.module, {
      title: stringFlag(values, 'title'),
      version: stringFlag(values, 'doc-version'),
      serverHost: stringFlag(values, 'server-host'),
      // An app that builds JetStreamServer itself gives its options in its JetStreamCliApp export.
      jetStreamOptions: app.spec.options as JetStreamServerOptions | undefined,
    });
  } catch (err) {
    throw new CliError(`--app ${app.source}: its AsyncAPI document could not be made: ${err instanceof Error ? err.message : String(err)}.`, EXIT.app, {
      cause: err,
    });
  }
}

function writeOrCheck(ctx: Parameters<CliCommand['run']>[0], out: string, text: string, document: unknown, check: boolean): number {
  if (!check) {
    writeFileSync(out, text);
    ctx.out.result({ file: out, document });
    ctx.out.line(`wrote ${out}`);
    return EXIT.ok;
  }
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // A missing file differs.
  }
  const same = current === text;
  ctx.out.result({ file: out, upToDate: same });
  ctx.out.line(same ? `${out} is up to date.` : `${out} differs from what the app generates: run the same command without --check to rewrite it.`);
  return same ? EXIT.ok : EXIT.check;
}
