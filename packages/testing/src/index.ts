/**
 * Real nats-server processes for tests: one node, a cluster, a super-cluster joined by gateways, a
 * hub with a leaf node (links that can be cut and healed), kill and restart, a leak guard;
 * and child processes that report in NDJSON (`NdjsonProcess`), for crash and pause tests.
 * @module @nest-jetstream/testing
 */
export { NatsServer, NatsServerStartError } from './nats-server.js';
export type { NatsServerOptions, NatsServerPorts } from './nats-server.js';
export { NatsCluster } from './nats-cluster.js';
export type { NatsClusterOptions } from './nats-cluster.js';
export { SuperCluster } from './super-cluster.js';
export type { SuperClusterOptions } from './super-cluster.js';
export { HubAndLeaf, HUB_LEAF_URL_ENV } from './hub-and-leaf.js';
export type { HubAndLeafOptions } from './hub-and-leaf.js';
export { LinkProxy } from './link-proxy.js';
export { natsServerBinaryVersion, resolveNatsServerBinary } from './binary.js';
export type { NatsServerVersionLabel } from './binary.js';
export { isProcessAlive, trackedServerPids } from './leak-guard.js';
export { waitFor } from './wait-for.js';
export type { WaitForOptions } from './wait-for.js';
export { freePort } from './ports.js';
export { NdjsonProcess } from './ndjson-process.js';
export type { NdjsonProcessOptions, ProcessExit } from './ndjson-process.js';
export { slowDown } from './cpu-contention.js';
export type { CpuContention, CpuContentionOptions } from './cpu-contention.js';
