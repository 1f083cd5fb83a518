// Two replicas of the built spillover service (services/spillover/dist/main.js) on one schema and
// consumer group, beside the real matchmaker, over two private regions: us-east with one 2-GPU
// H100 node, eu-west with two 4-GPU ones. Both replicas consume and probe; one holds the
// `routing-planner` lease and proposes moves, the other stands by. us-east is filled, then each
// batch of critical jobs overflows there and must be moved to eu-west; the planner's holder is
// SIGKILLed after each batch and a fresh replica joins as the new standby. Every overflowed job
// runs in eu-west, rerouted once, with one Kubernetes Job.
import { randomUUID } from 'node:crypto';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import { ServiceReplicas, stackEnv, waitUntil } from '@starminer/testing';
import {
  EventPublisher,
  harnessDeployment,
  startMatchmaker,
  startQuoteServer,
  type Matchmaker,
} from '../../matchmaker/test/support/harness';
import {
  EventStoreProbe,
  getJob,
  kubeJobsOnceListed,
  PrivateRegions,
  submitFunded,
  submitRequest,
} from '../../matchmaker/test/support/private-stack';
import { writeLatencyMatrix } from './support/spillover-harness';

jest.setTimeout(600_000);
const runId = randomUUID().slice(0, 6);
const CLIENT = '0x00000000000000000000000000000000000000f8';
const KILLS = 2;
const schema = `spill_replicas_${runId.replace(/-/g, '_')}`;
const name = (r: string) => `${r}-${runId}`;

let regions: PrivateRegions;
let events: EventPublisher;
let quotes: Awaited<ReturnType<typeof startQuoteServer>>;
let mm: Matchmaker | undefined;
let store: EventStoreProbe;
let replicas: ServiceReplicas;

async function submit(key: string, urgency: commonV1.Urgency, runtime: string): Promise<string> {
  return submitFunded(
    mm!.client,
    events,
    submitRequest({
      key: `${runId}-${key}`,
      client: CLIENT,
      clientId: `tenant-${runId}`,
      region: name('us-east'),
      product: 'H100-80GB',
      gpus: 1,
      runtime,
      urgency,
    }),
  );
}

async function runningIn(id: string): Promise<matchmakerV1.Job> {
  return waitUntil(
    `job ${id} running`,
    async () => {
      const j = await getJob(mm!.client, id);
      return j.state === commonV1.JobState.JOB_STATE_RUNNING ? j : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
}

beforeAll(async () => {
  regions = await PrivateRegions.create(runId, [
    { name: 'us-east', pools: [{ pool: 'h100', product: 'H100-80GB', gpusPerNode: 2, nodes: 1 }] },
    { name: 'eu-west', pools: [{ pool: 'h100', product: 'H100-80GB', gpusPerNode: 4, nodes: 2 }] },
  ]);
  writeLatencyMatrix(regions.regionsFile, name);
  quotes = await startQuoteServer();
  events = new EventPublisher();
  await events.connect();
  mm = await startMatchmaker({
    pricingAddress: quotes.address,
    runId,
    extraEnv: {
      ...regions.env(),
      PLACEMENT_WINDOWS: 'low=3600,normal=3600,high=3,critical=3',
      MATCH_ACROSS_REGIONS: 'false',
    },
  });
  store = new EventStoreProbe(`mm_${runId.replace(/-/g, '_')}`);
  replicas = new ServiceReplicas('spillover', schema, {
    ...stackEnv(),
    DATABASE_SCHEMA: schema,
    KAFKA_GROUP_ID: `spillover-replicas-${runId}`,
    DEPLOYMENTS_FILE: harnessDeployment().file,
    KAFKA_FROM_BEGINNING: 'false',
    MATCHMAKER_GRPC_URL: `127.0.0.1:${mm.service.grpcPort}`,
    PLAN_MS: '300',
    PROBE_MS: '500',
    PROBE_TIMEOUT_MS: '1000',
    PROBE_FAILURES: '2',
    SPILL_AFTER_SECONDS: '3600',
    ...regions.env(),
  });
  await replicas.add();
  await replicas.add();
  // The replicas read from now on: announce until their read model holds the three nodes.
  await waitUntil(
    'spillover to know the nodes',
    async () => {
      await regions.announce(events);
      const n = await replicas.pool
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.nodes`)
        .catch(() => ({ rows: [{ n: 0 }] }));
      return n.rows[0]!.n === 3 ? true : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 3_000 },
  );
}, 400_000);

afterAll(async () => {
  await replicas?.close();
  await mm?.stop();
  await events?.disconnect();
  await quotes?.stop();
  await store?.drop();
  regions?.delete();
});

it('the standby takes over planning when the holder is SIGKILLed; every overflowed job is moved once', async () => {
  const CRITICAL = commonV1.Urgency.URGENCY_CRITICAL;
  const fill = [
    await submit('fill-1', commonV1.Urgency.URGENCY_NORMAL, '900s'),
    await submit('fill-2', commonV1.Urgency.URGENCY_NORMAL, '900s'),
  ];
  for (const id of fill) expect((await runningIn(id)).placement?.region).toBe(name('us-east'));

  const moved: string[] = [];
  const takeovers: number[] = [];
  for (let k = 0; k <= KILLS; k++) {
    const batch = [
      await submit(`batch-${k}-a`, CRITICAL, '900s'),
      await submit(`batch-${k}-b`, CRITICAL, '900s'),
    ];
    for (const id of batch) expect((await runningIn(id)).placement?.region).toBe(name('eu-west'));
    moved.push(...batch);
    if (k === KILLS) break;

    const { 'routing-planner': takeover } = await replicas.killHolder(['routing-planner']);
    takeovers.push(takeover!);
    await replicas.add();
  }

  const types = await store.typeCounts();
  for (const id of moved) expect([id, types.get(id)!['JobRerouted']]).toEqual([id, 1]);
  for (const id of fill) expect([id, types.get(id)!['JobRerouted']]).toEqual([id, undefined]);
  const perJob = await kubeJobsOnceListed(regions.regions, mm!.namespace, [...fill, ...moved]);
  for (const id of [...fill, ...moved]) expect([id, perJob.get(id)!.length]).toEqual([id, 1]);
  console.info(
    `spillover routing-planner takeover after SIGKILL of the holder (ms): ${takeovers.join(', ')}; ` +
      `${moved.length} overflowed jobs each moved to eu-west once`,
  );
});
