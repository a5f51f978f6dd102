// Validates Kubernetes manifests against the Kubernetes JSON schemas (kubernetes-models, an
// ES-module package: hence a script of its own). Prints one JSON line per document.
//   node test/k8s/validate-manifests.mjs deploy/k8s/*.yaml
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const groups = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'batch/v1': () => import('kubernetes-models/batch/v1'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
};

for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const manifest = doc.toJS();
    if (!manifest) continue;
    const { apiVersion, kind } = manifest;
    const name = manifest.metadata?.name;
    let error;
    try {
      const load = groups[apiVersion];
      if (!load) throw new Error(`no schema loaded for apiVersion ${apiVersion}`);
      const Model = (await load())[kind];
      if (!Model) throw new Error(`no model ${kind} in ${apiVersion}`);
      new Model(manifest).validate();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    process.stdout.write(`${JSON.stringify({ file, apiVersion, kind, name, valid: !error, error })}\n`);
  }
}
