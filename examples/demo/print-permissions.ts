// npm run permissions: the least-privilege NATS permissions of each example service, computed by
// the library from the service itself.
//   npm run permissions                    each service's permissions, roles admin and consumer (the CLI:
//                                          nest-jetstream permissions --app examples/demo/cli-apps.ts)
//   npm run permissions -- producer        the roles named (comma-separated)
//   npm run permissions -- --accounts      the accounts file the deploy configs include
//   npm run permissions -- --write         regenerate deploy/nats/accounts.conf and its copy in deploy/k8s/nats.yaml
import 'reflect-metadata';
import { join } from 'node:path';
import { NatsServer } from '@nest-jetstream/testing';
import { runCli } from '../../packages/transport/src/cli/run-cli';
import { computeIdentities, renderAccountsConf } from './identities';
import { writeAccountsFiles } from './write-accounts';

async function main(): Promise<number> {
  const arg = process.argv[2];
  if (arg !== '--accounts' && arg !== '--write') {
    return runCli(['permissions', '--app', join(__dirname, 'cli-apps.ts'), '--role', arg ?? 'admin,consumer']);
  }
  const server = await NatsServer.start();
  try {
    const text = renderAccountsConf(await computeIdentities(server.url, 'consumer'));
    if (arg === '--accounts') process.stdout.write(text);
    else for (const file of writeAccountsFiles(text)) console.log(`wrote ${file}`);
    return 0;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
