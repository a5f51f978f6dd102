// npm run permissions: the least-privilege NATS permissions of each example service, computed by
// the library from the service itself (booted against a nats-server this script starts).
//   npm run permissions                    each service's permissions, roles admin and consumer
//   npm run permissions -- producer        the roles named (comma-separated)
//   npm run permissions -- --accounts      the accounts file the deploy configs include
//   npm run permissions -- --write         regenerate deploy/nats/accounts.conf and its copy in deploy/k8s/nats.yaml
import 'reflect-metadata';
import { NatsServer } from '@nest-jetstream/testing';
import type { PermissionRole } from '@nest-jetstream/transport';
import { computeIdentities, renderAccountsConf } from './identities';
import { writeAccountsFiles } from './write-accounts';

async function main(): Promise<void> {
  const arg = process.argv[2];
  const server = await NatsServer.start();
  try {
    if (arg === '--accounts' || arg === '--write') {
      const text = renderAccountsConf(await computeIdentities(server.url, 'consumer'));
      if (arg === '--accounts') process.stdout.write(text);
      else for (const file of writeAccountsFiles(text)) console.log(`wrote ${file}`);
      return;
    }
    const roles = (arg?.split(',') as PermissionRole[] | undefined) ?? ['admin', 'consumer'];
    for (const role of roles) {
      for (const identity of await computeIdentities(server.url, role)) {
        console.log(`# ${identity.user}, role ${role} (with its core-NATS request/reply subjects)`);
        console.log(JSON.stringify(identity.permissions, null, 2));
      }
    }
  } finally {
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
