// The example services as `nest-jetstream --app` takes them (docs/cli.md): each module from its
// factory, with a configuration that needs nothing running (an in-memory database), its
// Deployment's name, the subjects it publishes and its core-NATS request/reply subjects.
//   nest-jetstream permissions --app examples/demo/cli-apps.ts
//   nest-jetstream k8s --app examples/demo/cli-apps.ts --account APP --out deploy/k8s/autoscaling.yaml
import type { JetStreamCliApp } from '@nest-jetstream/transport';
import { loadConfig } from '@nest-jetstream/example-shared';
import { SERVICES } from './identities';

const apps: JetStreamCliApp[] = SERVICES.map((svc) => ({
  name: svc.user,
  module: () => svc.module.forConfig(loadConfig({ httpPort: 0, dbPath: ':memory:' }, { NATS_SERVERS: 'nats://127.0.0.1:4222' })),
  publishes: [...svc.publishes],
  coreNats: svc.core,
}));

export default apps;
