// npm run asyncapi: the AsyncAPI 3 documents of the example services, made by the library from
// each service's module without connecting to NATS (docs/contracts.md).
//   npm run asyncapi                 print both documents (YAML)
//   npm run asyncapi -- --write      regenerate examples/<service>/asyncapi.yaml (checked in; a test fails when they drift)
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { buildAsyncApiDocument, renderAsyncApiYaml } from '@nest-jetstream/transport/asyncapi';
import { exampleDocuments } from './asyncapi-documents';

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  for (const { file, module } of exampleDocuments()) {
    const text = renderAsyncApiYaml(await buildAsyncApiDocument(module));
    if (write) {
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    } else {
      process.stdout.write(`# ${file}\n${text}`);
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
