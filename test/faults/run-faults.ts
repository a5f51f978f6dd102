// npm run faults: every scenario of the fault suite at full size, on the newest nats-server and,
// where the scenario applies to it, the oldest (2.9.10); prints the table of docs/reliability.md.
//   FAULTS_ONLY=consumer-crash|cluster|supercluster|... to run some (names as below); FAULTS_VERSIONS=newest;
//   FAULTS_REPEAT=10 repeats the cluster and partition faults (default 1), and a second table gives
//   each scenario's worst and mean pause and election, and which exceed their election + 3 s or FAULTS_BOUND_MS (default 8000).
import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import type { NatsServerVersionLabel } from '@nest-jetstream/testing';
import { clusterFault, CLUSTER_FAULTS } from './scenarios/cluster';
import { fuzz } from './scenarios/fuzz';
import { hostile } from './scenarios/hostile';
import { DEFAULT_PAUSE_BOUND_MS, formatPauseSummary, summarizePauses } from './pause-summary';
import { partition } from './scenarios/partition';
import { consumerCrash, deadLetterOutage, gracefulShutdown, serverCrash } from './scenarios/single-server';
import { SIZES, type RunOptions } from './scenarios/sizes';
import { slowConsumer } from './scenarios/slow-consumer';
import { singletonTakeover } from './scenarios/singleton-cluster';
import { superClusterGatewayCuts } from './scenarios/super-cluster';
import type { FaultReport } from './workload/workload';

type Scenario = { name: string; versions: NatsServerVersionLabel[]; run: (o: RunOptions) => Promise<FaultReport[]> };

const both: NatsServerVersionLabel[] = ['newest', 'oldest'];
const REPEAT = Math.max(1, Number(process.env.FAULTS_REPEAT ?? '1'));
const BOUND_MS = Number(process.env.FAULTS_BOUND_MS ?? DEFAULT_PAUSE_BOUND_MS);
const SCENARIOS: Scenario[] = [
  { name: 'consumer-crash', versions: both, run: async (o) => [await consumerCrash(o)] },
  { name: 'server-crash', versions: both, run: async (o) => [await serverCrash(o)] },
  {
    name: 'cluster',
    versions: ['newest'],
    run: async (o) => {
      const out = [];
      for (let i = 0; i < REPEAT; i++) for (const f of CLUSTER_FAULTS) out.push(await clusterFault(o, f));
      return out;
    },
  },
  {
    name: 'partition',
    versions: ['newest'],
    run: async (o) => {
      const out = [];
      for (let i = 0; i < REPEAT; i++) for (const side of ['minority', 'majority'] as const) out.push(await partition(o, side));
      return out;
    },
  },
  { name: 'supercluster', versions: ['newest'], run: (o) => superClusterGatewayCuts(o, REPEAT) },
  { name: 'dead-letter-outage', versions: both, run: async (o) => [await deadLetterOutage(o)] },
  { name: 'graceful-shutdown', versions: both, run: async (o) => [await gracefulShutdown(o)] },
  { name: 'slow-consumer', versions: ['newest'], run: async (o) => [(await slowConsumer(o)).report] },
  { name: 'singleton', versions: ['newest'], run: async (o) => [await singletonTakeover(o)] },
  {
    name: 'fuzz',
    versions: ['newest'],
    run: async (o) => {
      const f = await fuzz(o);
      return [
        {
          scenario: 'fuzzed payloads, headers, subjects (fast-check); fuzzed options',
          server: '',
          published: f.published + f.refusedTyped + f.refusedUntyped.length,
          acked: f.published,
          ackedLost: f.lost,
          handled: f.handled,
          handledMoreThanOnce: 0,
          maxCalls: f.maxCalls,
          deadLetters: f.deadLettered,
          publishErrors: f.refusedTyped + f.refusedUntyped.length,
          notes: `${f.refusedTyped} bad publishes refused with a typed error (${f.refusedSubject} InvalidSubjectError, ${f.refusedHeader} InvalidHeaderError), ${f.refusedUntyped.length} otherwise, ${f.acceptedHostile.length} with a control character accepted; ${f.deadWithoutReason} dead letters without a reason; ${f.optionSets} option sets: ${f.optionsTyped} typed errors, ${f.optionsAccepted} accepted, ${f.optionsUntyped.length} other errors${f.optionsUntyped.length ? ` (${f.optionsUntyped.slice(0, 3).join('; ')})` : ''}; hostile payloads ${Object.entries(
            f.hostile,
          )
            .map(([k, c]) => `${k} ${c.tried} (${c.handled} handled, ${c.deadLettered} dead-lettered, ${c.lost} lost)`)
            .join(
              ', ',
            )}; ${f.hostileWrongData.length} handed over wrong${f.hostileWrongData.length ? ` (${f.hostileWrongData.slice(0, 3).join('; ')})` : ''}; Object.prototype ${f.prototypeIntact ? 'untouched' : 'CHANGED'}`,
        },
      ];
    },
  },
  { name: 'hostile', versions: both, run: async (o) => [(await hostile(o)).report] },
];

async function main(): Promise<void> {
  const only = process.env.FAULTS_ONLY?.split('|');
  const versions = process.env.FAULTS_VERSIONS?.split('|') as NatsServerVersionLabel[] | undefined;
  const rows: FaultReport[] = [];
  const started = Date.now();
  for (const s of SCENARIOS.filter((x) => !only || only.includes(x.name))) {
    for (const version of s.versions.filter((v) => !versions || versions.includes(v))) {
      const t = Date.now();
      process.stderr.write(`faults: ${s.name} on ${version}...\n`);
      for (const r of await s.run({ size: SIZES.full, version })) {
        rows.push({ ...r, server: r.server || version });
        process.stderr.write(`faults:   ${JSON.stringify(r)}\n`);
      }
      process.stderr.write(`faults:   ${s.name} on ${version} took ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    }
  }
  console.log(
    `nest-jetstream fault suite (npm run faults), ${new Date().toISOString().slice(0, 10)}, ${cpus().length} vCPU ${cpus()[0]?.model ?? ''}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${((Date.now() - started) / 60000).toFixed(1)} min`,
  );
  console.log('');
  console.log(
    '| scenario | nats-server | published | acked | acked lost | handled ≥ 1 | handled > 1 | most calls of one message | dead letters | publish errors to the caller | longest pause in handling after the fault | of it, a stored message waited | election after the fault | longest pause in PubAcks after the fault | notes |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const secs = (ms?: number) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`);
    console.log(
      `| ${r.scenario} | ${r.server} | ${r.published} | ${r.acked} | ${r.ackedLost} | ${r.handled} | ${r.handledMoreThanOnce} | ${r.maxCalls} | ${r.deadLetters} | ${r.publishErrors} | ${secs(r.recoverMs)} | ${secs(r.waitMs)} | ${secs(r.electionMs)} | ${secs(r.publishPauseMs)} | ${r.notes ?? ''} |`,
    );
  }
  console.log('');
  console.log(`Pauses after the fault, over ${REPEAT} repetition(s) (FAULTS_REPEAT):`);
  console.log('');
  for (const line of formatPauseSummary(summarizePauses(rows, BOUND_MS), BOUND_MS)) console.log(line);
  if (rows.some((r) => r.ackedLost > 0)) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
