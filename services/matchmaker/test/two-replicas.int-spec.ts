import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import { waitUntil } from '@starminer/testing';
import { call, EventPublisher, startQuoteServer } from './support/harness';
import { ChildMatchmaker } from './support/child-matchmaker';
import {
  EventStoreProbe,
  kubeJobsOnceListed,
  PrivateRegions,
  submitRequest,
  TERMINAL_STATES,
} from './support/private-stack';

// Two replicas of the built matchmaker on one schema, consumer group and job namespace. One holds
// the `match-loop` lease and matches; the other stands by. The holder is SIGKILLed while jobs
// run and more are funded, twice, and a fresh replica joins as the new standby each time: the
// standby takes the lease within a tick or so, and no job is matched, dispatched or ended twice.
const runId = randomUUID().slice(0, 6);
const CLIENT = '0x00000000000000000000000000000000000000f4';
const JOBS = 24;
const KILLS = 2;
let regions: PrivateRegions;
let events: EventPublisher;
let quotes: Awaited<ReturnType<typeof startQuoteServer>>;
const replicas: ChildMatchmaker[] = [];
let probe: EventStoreProbe;

const newReplica = async (): Promise<ChildMatchmaker> => {
  const mm = await ChildMatchmaker.create({
    runId,
    pricingAddress: quotes.address,
    regionEnv: regions.env(),
    logFile: path.join(os.tmpdir(), `matchmaker-replicas-${runId}-${replicas.length}.log`),
  });
  await mm.start();
  replicas.push(mm);
  return mm;
};

beforeAll(async () => {
  regions = await PrivateRegions.create(runId, [
    { name: 'ra', pools: [{ pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 3 }] },
    { name: 'rb', pools: [{ pool: 'l40s', product: 'L40S', gpusPerNode: 4, nodes: 3 }] },
  ]);
  quotes = await startQuoteServer();
  events = new EventPublisher();
  await events.connect();
  await regions.announce(events);
  const first = await newReplica();
  probe = new EventStoreProbe(first.schema);
  await probe.nodesApplied(regions);
  await newReplica();
}, 360_000);

afterAll(async () => {
  for (const r of replicas) await r.stop();
  await events?.disconnect();
  await quotes?.stop();
  await probe?.drop();
  regions?.delete();
});

const tenure = async () =>
  (
    await probe.pool
      .query<{ holder: string; epoch: number; taken_at: Date }>(
        `SELECT holder, epoch::int, taken_at FROM ${probe.schema}.leases WHERE name = 'match-loop'`,
      )
      .catch(() => ({ rows: [] }))
  ).rows[0];

const live = () => replicas.filter((r) => r.pid !== undefined);

const listJobs = async () => {
  const mm = live()[0]!;
  return (
    await call<matchmakerV1.ListJobsRequest, matchmakerV1.ListJobsResponse>(
      mm.client.listJobs.bind(mm.client),
      { clientId: '', pageSize: 100, pageToken: '' },
    )
  ).jobs;
};

it('the standby takes over matching when the holder is SIGKILLed; no job is matched twice', async () => {
  const submitted: Array<{ id: string; quoteId: string; total: bigint }> = [];
  for (let i = 0; i < JOBS; i++) {
    const h100 = i % 2 === 0;
    // Submissions go to either replica: both serve the API.
    const mm = replicas[i % 2]!;
    const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
      mm.client.submitJob.bind(mm.client),
      submitRequest({
        key: `k-${i}`,
        client: CLIENT,
        region: h100 ? regions.get('ra').region : regions.get('rb').region,
        product: h100 ? 'H100-80GB' : 'L40S',
        gpus: h100 ? [1, 2, 4, 8][i % 4]! : [1, 2, 4][i % 3]!,
        runtime: `${4 + (i % 5)}s`,
        clientId: `tenant-${i % 3}`,
      }),
    );
    const j = res.job!;
    submitted.push({
      id: j.jobId,
      quoteId: j.quote!.quoteId,
      total: BigInt(j.quote!.total!.baseUnits),
    });
  }
  // A third funded up front; the rest after each kill, while the standby takes over.
  const batches = [submitted.slice(0, 8), submitted.slice(8, 16), submitted.slice(16)];
  for (const s of batches[0]!) await events.fund(s.id, CLIENT, s.quoteId, s.total);

  const matched = async (n: number) =>
    waitUntil(
      `${n} jobs past the queue`,
      async () => {
        const jobs = await listJobs();
        return jobs.filter(
          (j) => j.state === commonV1.JobState.JOB_STATE_RUNNING || TERMINAL_STATES.has(j.state),
        ).length >= n
          ? true
          : undefined;
      },
      { timeoutMs: 90_000 },
    );

  const takeovers: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    await matched(4 + 8 * k);
    const before = await waitUntil('a replica holding the match-loop lease', tenure);
    const leader = live().find((r) => before.holder === `${os.hostname()}/${r.pid}`);
    expect(leader).toBeDefined();
    const killedAt = Date.now();
    await leader!.kill();
    for (const s of batches[k + 1]!) await events.fund(s.id, CLIENT, s.quoteId, s.total);
    const after = await waitUntil(
      `a new match-loop tenure after epoch ${before.epoch}`,
      async () => {
        const t = await tenure();
        return t && t.epoch > before.epoch ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    expect(after.holder).not.toBe(before.holder);
    takeovers.push(after.taken_at.getTime() - killedAt);
    await newReplica();
  }

  const final = await waitUntil(
    'every job terminal',
    async () => {
      const jobs = await listJobs();
      return jobs.length === JOBS && jobs.every((j) => TERMINAL_STATES.has(j.state))
        ? jobs
        : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1_000 },
  );
  expect(final.map((j) => j.jobId).sort()).toEqual(submitted.map((s) => s.id).sort());
  for (const j of final) {
    expect([j.jobId, j.state]).toEqual([j.jobId, commonV1.JobState.JOB_STATE_SUCCEEDED]);
    expect([j.jobId, j.attempt]).toEqual([j.jobId, 1]);
  }
  const terminal = await probe.terminalCounts();
  const types = await probe.typeCounts();
  for (const s of submitted) {
    expect([s.id, types.get(s.id)!['JobMatched']]).toEqual([s.id, 1]);
    expect([s.id, types.get(s.id)!['JobDispatched']]).toEqual([s.id, 1]);
    expect([s.id, terminal.get(s.id)]).toEqual([s.id, 1]);
  }
  const perJob = await kubeJobsOnceListed(
    regions.regions,
    replicas[0]!.namespace,
    submitted.map((s) => s.id),
  );
  for (const [id, names] of perJob) expect([id, names.length]).toEqual([id, 1]);
  console.info(
    `matchmaker match-loop takeover after SIGKILL of the holder (ms): ${takeovers.join(', ')}; ` +
      `${JOBS} jobs on two replicas, each matched, dispatched and ended once`,
  );
}, 420_000);
