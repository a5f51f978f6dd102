// Where the generated accounts file lives: deploy/nats/accounts.conf (docker-compose, the tests)
// and the accounts.conf key of the nats-config ConfigMap in deploy/k8s/nats.yaml.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..');
export const ACCOUNTS_CONF = join(ROOT, 'deploy', 'nats', 'accounts.conf');
export const K8S_NATS = join(ROOT, 'deploy', 'k8s', 'nats.yaml');

/** The accounts.conf text of the k8s ConfigMap. */
export function k8sAccountsConf(): string | undefined {
  for (const doc of parseAllDocuments(readFileSync(K8S_NATS, 'utf8'))) {
    const m = doc.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> } | null;
    if (m?.kind === 'ConfigMap' && m.metadata?.name === 'nats-config') return m.data?.['accounts.conf'];
  }
  return undefined;
}

/** Writes `text` to both places; returns the files written. */
export function writeAccountsFiles(text: string): string[] {
  writeFileSync(ACCOUNTS_CONF, text);
  // The ConfigMap's block scalar: every line indented by four spaces, between marker comments.
  const yaml = readFileSync(K8S_NATS, 'utf8');
  const start = yaml.indexOf('  accounts.conf: |\n');
  const end = yaml.indexOf('\n---', start);
  if (start === -1 || end === -1) throw new Error(`${K8S_NATS}: no "accounts.conf: |" key in a document followed by "---"`);
  const block = text
    .split('\n')
    .filter((l, i, all) => i < all.length - 1 || l !== '')
    .map((l) => (l ? `    ${l}` : ''))
    .join('\n');
  writeFileSync(K8S_NATS, `${yaml.slice(0, start)}  accounts.conf: |\n${block}${yaml.slice(end)}`);
  return [ACCOUNTS_CONF, K8S_NATS];
}
