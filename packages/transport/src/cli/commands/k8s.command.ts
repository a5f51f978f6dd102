import { readFileSync, writeFileSync } from 'node:fs';
import type { CliCommand } from '../cli-command.js';
import { CliError, EXIT } from '../exit-codes.js';
import { intFlag, stringFlag } from '../flags.js';
import { renderScaledObjects, scaledObjectsOf } from '../k8s/scaled-objects.js';

const USAGE = `Usage: nest-jetstream k8s --app FILE [options]

  KEDA ScaledObjects (the nats-jetstream scaler) for the apps: one per app (its Deployment is the
  app's name), a trigger per handler with a shared consumer, its lagThreshold from the handler's
  autoscale.lagThreshold, else lag.maxPending, else 100. Written without connecting.
  --account NAME               the NATS account of the streams (default $G, the account of a server without accounts)
  --namespace NS               the namespace of the ScaledObjects and of the nats Service (default: none, and nats in "default")
  --monitoring-endpoint H:P    nats-server's monitoring endpoint as KEDA reaches it (default nats.<namespace>.svc.cluster.local:8222)
  --min-replicas N             default 1
  --max-replicas N             default 10
  --out FILE                   write the YAML there (default: stdout)
  --check                      compare with --out instead of writing: exit 7 when it differs`;

/** `nest-jetstream k8s`. */
export const k8sCommand: CliCommand = {
  name: 'k8s',
  summary: 'KEDA ScaledObjects (nats-jetstream scaler) per service, a trigger per shared consumer, without connecting',
  usage: USAGE,
  connects: false,
  readsApps: true,
  options: {
    account: { type: 'string' },
    namespace: { type: 'string' },
    'monitoring-endpoint': { type: 'string' },
    'min-replicas': { type: 'string' },
    'max-replicas': { type: 'string' },
    out: { type: 'string' },
    check: { type: 'boolean' },
  },
  async run(ctx) {
    const namespace = stringFlag(ctx.values, 'namespace');
    const minReplicas = intFlag(ctx.values, 'min-replicas') ?? 1;
    const maxReplicas = intFlag(ctx.values, 'max-replicas') ?? 10;
    if (maxReplicas < Math.max(1, minReplicas))
      throw new CliError(`--max-replicas (${maxReplicas}) must be at least 1 and at least --min-replicas (${minReplicas}).`, EXIT.usage);
    const apps = await ctx.apps();
    const manifests = await scaledObjectsOf(apps, {
      account: stringFlag(ctx.values, 'account') ?? '$G',
      namespace,
      monitoringEndpoint: stringFlag(ctx.values, 'monitoring-endpoint') ?? `nats.${namespace ?? 'default'}.svc.cluster.local:8222`,
      minReplicas,
      maxReplicas,
    });
    const out = stringFlag(ctx.values, 'out');
    const text = renderScaledObjects(manifests, 'nest-jetstream k8s');
    if (ctx.values.check === true) {
      if (!out) throw new CliError('--check compares with a file: name it with --out.', EXIT.usage);
      let current = '';
      try {
        current = readFileSync(out, 'utf8');
      } catch {
        // A missing file differs.
      }
      const same = current === text;
      ctx.out.result({ file: out, upToDate: same, scaledObjects: manifests });
      ctx.out.line(
        same
          ? `${out} is up to date (${manifests.length} ScaledObject(s)).`
          : `${out} differs from what the apps generate: run the same command without --check to rewrite it.`,
      );
      return same ? EXIT.ok : EXIT.check;
    }
    if (out) {
      writeFileSync(out, text);
      ctx.out.result({ file: out, scaledObjects: manifests });
      ctx.out.line(`wrote ${out}: ${manifests.length} ScaledObject(s), ${manifests.reduce((n, m) => n + m.spec.triggers.length, 0)} trigger(s)`);
    } else if (ctx.values.json === true) {
      ctx.out.result(manifests);
    } else {
      ctx.out.raw(text);
    }
    return EXIT.ok;
  },
};
