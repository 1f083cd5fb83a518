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

// The built matchmaker as a real process, SIGKILLed twice mid-run (no shutdown hook runs) and
// started again on the same schema and consumer group, with jobs running in two private regions
// and escrow fundings published while no process is up: no job is lost (every one ends), none
// is duplicated (one Kubernetes Job each, never a second attempt) and none is charged twice (one
// terminal event each).
const runId = randomUUID().slice(0, 6);
const CLIENT = '0x00000000000000000000000000000000000000f3';
const JOBS = 24;
const LATE = 6; // funded while the process is down
let regions: PrivateRegions;
let events: EventPublisher;
let quotes: Awaited<ReturnType<typeof startQuoteServer>>;
let mm: ChildMatchmaker;
let probe: EventStoreProbe;

beforeAll(async () => {
  regions = await PrivateRegions.create(runId, [
    { name: 'ka', pools: [{ pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 3 }] },
    { name: 'kb', pools: [{ pool: 'l40s', product: 'L40S', gpusPerNode: 4, nodes: 3 }] },
  ]);
  quotes = await startQuoteServer();
  events = new EventPublisher();
  await events.connect();
  await regions.announce(events);
  mm = await ChildMatchmaker.create({
    runId,
    pricingAddress: quotes.address,
    regionEnv: regions.env(),
    logFile: path.join(os.tmpdir(), `matchmaker-kill-${runId}.log`),
  });
  probe = new EventStoreProbe(mm.schema);
  await mm.start();
  await probe.nodesApplied(regions);
}, 360_000);

afterAll(async () => {
  await mm?.stop();
  await events?.disconnect();
  await quotes?.stop();
  await probe?.drop();
  regions?.delete();
});

const listJobs = async () =>
  (
    await call<matchmakerV1.ListJobsRequest, matchmakerV1.ListJobsResponse>(
      mm.client.listJobs.bind(mm.client),
      { clientId: '', pageSize: 100, pageToken: '' },
    )
  ).jobs;

it('loses, duplicates and double-charges no job when the process is killed mid-run', async () => {
  const submitted: Array<{ id: string; quoteId: string; total: bigint }> = [];
  for (let i = 0; i < JOBS; i++) {
    const h100 = i % 2 === 0;
    const req = submitRequest({
      key: `k-${i}`,
      client: CLIENT,
      region: h100 ? regions.get('ka').region : regions.get('kb').region,
      product: h100 ? 'H100-80GB' : 'L40S',
      gpus: h100 ? [1, 2, 4, 8][i % 4]! : [1, 2, 4][i % 3]!,
      runtime: `${4 + (i % 5)}s`,
      clientId: `tenant-${i % 3}`,
    });
    const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
      mm.client.submitJob.bind(mm.client),
      req,
    );
    const j = res.job!;
    submitted.push({
      id: j.jobId,
      quoteId: j.quote!.quoteId,
      total: BigInt(j.quote!.total!.baseUnits),
    });
  }
  for (const s of submitted.slice(0, JOBS - LATE))
    await events.fund(s.id, CLIENT, s.quoteId, s.total);

  const running = async (n: number) =>
    waitUntil(
      `${n} jobs running`,
      async () => {
        const jobs = await listJobs();
        return jobs.filter((j) => j.state === commonV1.JobState.JOB_STATE_RUNNING).length >= n
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );

  await running(4);
  await mm.kill();
  // While no process is up: the clusters keep running the jobs, and escrows are funded.
  for (const s of submitted.slice(JOBS - LATE)) await events.fund(s.id, CLIENT, s.quoteId, s.total);
  await mm.start();
  await running(2);
  await mm.kill();
  await mm.start();

  const final = await waitUntil(
    'every job terminal',
    async () => {
      const jobs = await listJobs();
      return jobs.length === JOBS && jobs.every((j) => TERMINAL_STATES.has(j.state))
        ? jobs
        : undefined;
    },
    { timeoutMs: 150_000, intervalMs: 1_000 },
  );
  expect(final.map((j) => j.jobId).sort()).toEqual(submitted.map((s) => s.id).sort());
  for (const j of final) {
    expect(j.state).toBe(commonV1.JobState.JOB_STATE_SUCCEEDED);
    expect(j.attempt).toBe(1);
    expect(BigInt(j.gpuSeconds)).toBeGreaterThan(0n);
  }
  const terminal = await probe.terminalCounts();
  const types = await probe.typeCounts();
  for (const s of submitted) {
    expect([s.id, terminal.get(s.id)]).toEqual([s.id, 1]);
    expect([s.id, types.get(s.id)!['JobDispatched']]).toEqual([s.id, 1]);
  }
  const perJob = await kubeJobsOnceListed(
    regions.regions,
    mm.namespace,
    submitted.map((s) => s.id),
  );
  expect([...perJob.keys()].sort()).toEqual(submitted.map((s) => s.id).sort());
  for (const [id, names] of perJob) expect([id, names.length]).toEqual([id, 1]);
}, 300_000);
