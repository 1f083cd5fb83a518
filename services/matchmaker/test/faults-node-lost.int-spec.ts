import { randomUUID } from 'node:crypto';
import { commonV1 } from '@starminer/proto';
import { waitUntil } from '@starminer/testing';
import { type EventPublisher, type Matchmaker } from './support/harness';
import { PrivateMatchmaker } from './support/private-matchmaker';
import {
  type EventStoreProbe,
  getJob,
  kubeJobsPerJob,
  type PrivateRegions,
  submitFunded,
  submitRequest,
} from './support/private-stack';

// A node deleted from its region's API server under a running job (a node operator's machine
// gone): the job is requeued once onto another node and charged only for the attempt that ran to
// the end; a second loss fails it as a node fault, charged nothing. A private region, so deleting
// nodes touches no shared cluster.
const runId = randomUUID().slice(0, 6);
const CLIENT = '0x00000000000000000000000000000000000000f1';
let stack: PrivateMatchmaker | undefined;
let regions: PrivateRegions;
let events: EventPublisher;
let mm: Matchmaker | undefined;
let probe: EventStoreProbe;

beforeAll(async () => {
  stack = await PrivateMatchmaker.start(runId, [
    {
      name: 'nl',
      pools: [
        { pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 2 },
        { pool: 'l40s', product: 'L40S', gpusPerNode: 4, nodes: 2 },
      ],
    },
  ]);
  ({ regions, events, mm, probe } = stack);
}, 360_000);

afterAll(async () => {
  await stack?.stop();
});

const region = () => regions.regions[0]!;

/** Waits until the job runs (attempt `attempt`) and has run for a few seconds; returns its node. */
async function runningOn(jobId: string, attempt: number): Promise<string> {
  return waitUntil(
    `job ${jobId} running attempt ${attempt}`,
    async () => {
      const s = await probe.state(jobId);
      return s.status === 'Running' &&
        s.attempt === attempt &&
        s.startedAt &&
        Date.now() - Date.parse(s.startedAt) > 3_000
        ? s.placement!.node
        : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

it('requeues a job once onto another node when its node is deleted, and charges the last attempt only', async () => {
  const jobId = await submitFunded(
    mm!.client,
    events,
    submitRequest({
      key: 'lost-once',
      client: CLIENT,
      region: region().region,
      product: 'H100-80GB',
      gpus: 8,
      runtime: '12s',
    }),
  );
  const first = await runningOn(jobId, 1);
  region().kubectl(['delete', 'node', first, '--wait=true']);

  const second = await runningOn(jobId, 2);
  expect(second).not.toBe(first);
  const done = await waitUntil(
    'job succeeded',
    async () => {
      const j = await getJob(mm!.client, jobId);
      return j.state === commonV1.JobState.JOB_STATE_SUCCEEDED ? j : undefined;
    },
    { timeoutMs: 90_000 },
  );
  expect(done.attempt).toBe(2);
  // 8 GPUs x the second attempt's 12 s (whole seconds, so 12 or 13): the first attempt, which ran
  // for more than 3 s on the lost node, is not in the bill.
  expect(Number(done.gpuSeconds)).toBeGreaterThanOrEqual(8 * 12);
  expect(Number(done.gpuSeconds)).toBeLessThanOrEqual(8 * 13);

  const types = (await probe.typeCounts()).get(jobId)!;
  expect(types).toMatchObject({ JobMatched: 2, JobDispatched: 2, JobStarted: 2, JobSucceeded: 1 });
  expect(types['JobFailed'] ?? 0).toBe(0);
  expect((await probe.terminalCounts()).get(jobId)).toBe(1);
  const state = await probe.state(jobId);
  expect(state.excludedNodes).toEqual([first]);

  // The lost attempt's Kubernetes Job was deleted: one Job remains, the second attempt's.
  const perJob = await waitUntil('first attempt Job deleted', async () => {
    const m = await kubeJobsPerJob(regions.regions, mm!.namespace);
    return m.get(jobId)?.length === 1 ? m : undefined;
  });
  expect(perJob.get(jobId)).toEqual([`${region().region}/sm-${jobId}-2`]);
});

it('fails a job as a node fault, charged nothing, when its node is lost a second time', async () => {
  const jobId = await submitFunded(
    mm!.client,
    events,
    submitRequest({
      key: 'lost-twice',
      client: CLIENT,
      region: region().region,
      product: 'L40S',
      gpus: 4,
      runtime: '300s',
    }),
  );
  const first = await runningOn(jobId, 1);
  region().kubectl(['delete', 'node', first, '--wait=true']);
  const second = await runningOn(jobId, 2);
  expect(second).not.toBe(first);
  region().kubectl(['delete', 'node', second, '--wait=true']);

  const failed = await waitUntil(
    'job failed',
    async () => {
      const j = await getJob(mm!.client, jobId);
      return j.state === commonV1.JobState.JOB_STATE_FAILED ? j : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(failed.endReason).toBe('NodeLost');
  expect(failed.cost!.baseUnits).toBe('0');
  const types = (await probe.typeCounts()).get(jobId)!;
  expect(types).toMatchObject({ JobMatched: 2, JobFailed: 1 });
  expect((await probe.terminalCounts()).get(jobId)).toBe(1);
  // Nothing of the job is left on the cluster.
  await waitUntil('Kubernetes Jobs deleted', async () => {
    const m = await kubeJobsPerJob(regions.regions, mm!.namespace);
    return (m.get(jobId)?.length ?? 0) === 0 ? true : undefined;
  });
});
