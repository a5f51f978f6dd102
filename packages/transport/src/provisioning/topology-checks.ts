import type { StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { JetStreamApiError } from '@nats-io/jetstream';
import { ProvisioningError } from '../errors/provisioning.error.js';
import type { StreamDeclaration } from '../interfaces/jetstream-options.interface.js';
import { diffConfig } from './config-diff.js';
import { TOPOLOGY_FIELDS } from './topology-diff.js';
import { inUserTerms } from './user-terms.js';

/** JetStream API error: "no suitable peers for placement". */
const NO_SUITABLE_PEERS = 10005;

/** What each topology setting needs of the server, for the error when a server keeps less than declared. */
const NEEDS: Record<string, string> = {
  sources: 'subject transforms in sources need nats-server 2.10+',
  mirror: 'subject transforms in a mirror need nats-server 2.12+',
  placement: 'placement by tags needs servers started with server_tags',
};

/**
 * A placement no server satisfies, as an error naming the declared placement, what the server
 * said, and the clusters this account's streams are in (a client sees no server tags: `nats server
 * list` shows them). Undefined for any other refusal.
 */
export function placementError(decl: StreamDeclaration, err: unknown, streams: Iterable<StreamInfo>): ProvisioningError | undefined {
  if (!decl.placement || !(err instanceof JetStreamApiError) || (err.code !== NO_SUITABLE_PEERS && !/no suitable peers/i.test(err.message))) return undefined;
  const byCluster = new Map<string, string[]>();
  for (const info of streams) {
    const cluster = info.cluster?.name;
    if (cluster) byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), info.config.name]);
  }
  const known =
    byCluster.size > 0
      ? [...byCluster].map(([cluster, names]) => `"${cluster}" (streams ${names.join(', ')})`).join(', ')
      : 'none (no stream of this account is in a named cluster yet)';
  const tags = decl.placement.tags?.length ? ` with server tags ${JSON.stringify(decl.placement.tags)}` : '';
  const cluster = decl.placement.cluster !== undefined ? `in cluster "${decl.placement.cluster}"` : 'anywhere';
  return new ProvisioningError(
    `Stream "${decl.name}" declares placement ${JSON.stringify(decl.placement)}, which no server satisfies: the server said "${err.message}". ` +
      `No ${decl.replicas ?? 1} server(s) ${cluster}${tags} have room for it. Clusters the server reports for this account's streams: ${known}. ` +
      `Name one of them (a cluster's name is its gateway name), or give servers those tags (server_tags in their config; \`nats server list\` shows them).`,
    [],
    { cause: err },
  );
}

/**
 * After a create or update: the placement, mirror or sources the server kept differ from the
 * declaration when the server ignores what it does not know (2.9 drops subject transforms in
 * sources). An error naming the stream, both values and what the setting needs; undefined when kept.
 */
export function droppedByServer(decl: StreamDeclaration, expected: Partial<StreamConfig>, info: StreamInfo): ProvisioningError | undefined {
  const wanted = Object.fromEntries(Object.entries(expected).filter(([field]) => TOPOLOGY_FIELDS.has(field)));
  const differences = inUserTerms(diffConfig('stream', decl.name, wanted, info.config as unknown as Record<string, unknown>, new Set()));
  if (differences.length === 0) return undefined;
  const needs = [...new Set(differences.map((d) => NEEDS[d.field]).filter(Boolean))].join('; ');
  return new ProvisioningError(
    `The server kept stream "${decl.name}" without part of its declared ${differences.map((d) => d.field).join(', ')}: it does not support what is declared (${needs}). Upgrade the server or drop that setting:`,
    differences,
  );
}
