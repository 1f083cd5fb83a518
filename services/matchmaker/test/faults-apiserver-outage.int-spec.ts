import { randomUUID } from 'node:crypto';
import { commonV1 } from '@starminer/proto';
import { waitUntil } from '@starminer/testing';
import { type EventPublisher, type Matchmaker } from './support/harness';
import { PrivateMatchmaker } from './support/private-matchmaker';
import {
  type EventStoreProbe,
  getJob,
  kubeJobsOnceListed,
  type PrivateRegions,
  submitFunded,
  submitRequest,
  TERMINAL_STATES,
} from './support/private-stack';

// A region's kube-apiserver killed mid-run and started again (its nodes, here kwok, keep running
// their pods), in a private region: while it is away the matchmaker tears nothing down,
// records nothing for its jobs and places nothing there; afterwards its informers list again,
// a job whose runtime ended during the outage is seen to succeed, a job submitted during the
// outage runs, and every job has one terminal event and one Kubernetes Job.
const runId = randomUUID().slice(0, 6);
const CLIENT = '0x00000000000000000000000000000000000000f2';
let stack: PrivateMatchmaker | undefined;
let regions: PrivateRegions;
let events: EventPublisher;
let mm: Matchmaker | undefined;
let probe: EventStoreProbe;

beforeAll(async () => {
  stack = await PrivateMatchmaker.start(runId, [
    { name: 'ao', pools: [{ pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 2 }] },
  ]);
  ({ regions, events, mm, probe } = stack);
}, 360_000);

afterAll(async () => {
  await stack?.stop();
});

it('keeps running jobs through an API-server outage and reconciles them when it returns', async () => {
  const region = regions.regions[0]!;
  const submit = (key: string, gpus: number, runtime: string) =>
    submitFunded(
      mm!.client,
      events,
      submitRequest({
        key,
        client: CLIENT,
        region: region.region,
        product: 'H100-80GB',
        gpus,
        runtime,
      }),
    );
  const long = await submit('long', 4, '45s');
  const short = await submit('short', 4, '12s');
  await waitUntil(
    'both jobs running',
    async () => {
      const s = await Promise.all([long, short].map((id) => probe.state(id)));
      return s.every((x) => x.status === 'Running') ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
  const cluster = mm!.runtime.clusters.get(region.region)!;
  const versionsBefore = await probe.typeCounts();

  await region.stopApiServer();
  await waitUntil('the matchmaker sees the region away', () =>
    cluster.synced() ? undefined : true,
  );
  // Submitted while the region is away: it must wait, not be placed on an unseen cluster.
  const during = await submit('during', 8, '3s');
  // The region stays unsynced for the whole outage (a failed relist must not count as synced),
  // and nothing is recorded for the jobs that were running.
  const seenSynced: boolean[] = [];
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    seenSynced.push(cluster.synced());
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(seenSynced.filter(Boolean)).toEqual([]);
  // Its funding applied (Funded and Queued are one transaction), and it waits: not placed.
  const duringStatus = await waitUntil(
    'the funding of the job submitted during the outage',
    async () => {
      const s = (await probe.state(during)).status;
      return s === 'Submitted' || s === 'Quoted' ? undefined : s;
    },
  );
  expect(duringStatus).toBe('Queued');
  const versionsDuring = await probe.typeCounts();
  for (const id of [long, short]) expect(versionsDuring.get(id)).toEqual(versionsBefore.get(id));
  const kubeCheck = mm!.runtime.readiness().find((c) => c.name === 'kubernetes')!;
  expect(await kubeCheck.check().catch((e: Error) => e.message)).toMatch(/regions not synced/);

  await region.startApiServer();
  const final = await waitUntil(
    'every job terminal after the outage',
    async () => {
      const jobs = await Promise.all([long, short, during].map((id) => getJob(mm!.client, id)));
      console.log(
        new Date().toISOString(),
        cluster.synced(),
        cluster.lastError,
        jobs.map((j) => `${j.state}/${j.attempt}`).join(' '),
      );
      return jobs.every((j) => TERMINAL_STATES.has(j.state)) ? jobs : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
  for (const j of final) {
    expect(j.state).toBe(commonV1.JobState.JOB_STATE_SUCCEEDED);
    // Never torn down and requeued: the first attempt is the one that ended.
    expect(j.attempt).toBe(1);
    expect(BigInt(j.gpuSeconds)).toBeGreaterThan(0n);
  }
  const terminal = await probe.terminalCounts();
  for (const id of [long, short, during]) expect(terminal.get(id)).toBe(1);
  const perJob = await kubeJobsOnceListed(regions.regions, mm!.namespace, [long, short, during]);
  for (const id of [long, short, during]) expect(perJob.get(id)).toHaveLength(1);
});
