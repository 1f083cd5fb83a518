import { randomUUID } from 'node:crypto';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import { waitUntil } from '@starminer/testing';
import {
  call,
  deleteNamespace,
  EventPublisher,
  startMatchmaker,
  startQuoteServer,
  type Matchmaker,
} from './support/harness';

// A chain reorg reported by the chain-indexer (ChainReorged on starminer.chain.v1, listing the
// event ids it voids) on real Kafka, Postgres and kube-apiservers: a job funded by a voided
// EscrowFunded and not yet dispatched goes back to Quoted and is funded again by the canonical
// deposit; a job already running keeps running.
const runId = randomUUID().slice(0, 8);
const CLIENT = '0x00000000000000000000000000000000000000c2';
let mm: Matchmaker;
let events: EventPublisher;
let quotes: Awaited<ReturnType<typeof startQuoteServer>>;

const spec = (gpu: commonV1.GpuRequirement, region: string): commonV1.JobSpec => ({
  workload: {
    image: 'ghcr.io/acme/train:1.0',
    command: [],
    args: [],
    env: {},
    template: undefined,
  },
  gpu,
  jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED,
  urgency: commonV1.Urgency.URGENCY_NORMAL,
  latency: { mode: { $case: 'batch', value: {} } },
  regionPreference: [region],
  maxPrice: { baseUnits: (10n ** 24n).toString() },
  maxDurationSeconds: 120,
});

async function submit(s: commonV1.JobSpec, runtime: string): Promise<matchmakerV1.Job> {
  const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
    mm.client.submitJob.bind(mm.client),
    {
      idempotencyKey: randomUUID(),
      client: CLIENT,
      spec: s,
      quoteId: '',
      clientId: `tenant-${runId}`,
      simulation: { runtime, fail: false, exitCode: 0 },
    },
  );
  return res.job!;
}

const getJob = (jobId: string) =>
  call<matchmakerV1.GetJobRequest, matchmakerV1.GetJobResponse>(mm.client.getJob.bind(mm.client), {
    jobId,
  }).then((r) => r.job!);

const waitState = (jobId: string, state: commonV1.JobState) =>
  waitUntil(`job ${jobId} in ${commonV1.jobStateToJSON(state)}`, async () => {
    const j = await getJob(jobId);
    return j.state === state ? j : undefined;
  });

const fund = (job: matchmakerV1.Job) =>
  events.fund(job.jobId, CLIENT, job.quote!.quoteId, BigInt(job.quote!.total!.baseUnits));

beforeAll(async () => {
  quotes = await startQuoteServer();
  events = new EventPublisher();
  await events.connect();
  await events.announceClusterNodes();
  mm = await startMatchmaker({ pricingAddress: quotes.address, runId });
});

afterAll(async () => {
  await mm?.stop();
  await events?.disconnect();
  await quotes?.stop();
  await deleteNamespace(`mm-${runId}`);
});

describe('chain reorgs', () => {
  it('returns a funded job not yet dispatched to Quoted and lets the canonical deposit fund it again; a running job runs on', async () => {
    // Eight RTX 4090s on one node: no node has them, so this job waits in the queue.
    const waiting = await submit(
      spec({ product: 'RTX-4090', count: 8, minVramMib: 0 }, 'ap-south'),
      '5s',
    );
    const running = await submit(
      spec({ product: 'NVIDIA-H100-80GB-HBM3', count: 1, minVramMib: 0 }, 'us-east'),
      '30s',
    );
    const voided = [await fund(waiting), await fund(running)];
    await waitState(waiting.jobId, commonV1.JobState.JOB_STATE_QUEUED);
    await waitState(running.jobId, commonV1.JobState.JOB_STATE_RUNNING);

    // As the chain-indexer of this deployment reports it: a reorg of the deployment's chain.
    const chainId = String(events.deployment.deployments.chainId);
    await events.publish(chainId, [
      {
        type: 'ChainReorged',
        chainId,
        commonAncestorNumber: '10',
        commonAncestorHash: '0xa',
        oldHeadNumber: '12',
        oldHeadHash: '0xb',
        newHeadNumber: '12',
        newHeadHash: '0xc',
        depth: 2,
        voidedEventIds: voided,
      },
    ]);
    const back = await waitState(waiting.jobId, commonV1.JobState.JOB_STATE_QUOTED);
    expect(back.quote!.quoteId).toBe(waiting.quote!.quoteId);
    // The same reorg was applied to the running job in the same consumer transaction: refused.
    const still = await getJob(running.jobId);
    expect([commonV1.JobState.JOB_STATE_RUNNING, commonV1.JobState.JOB_STATE_SUCCEEDED]).toContain(
      still.state,
    );
    expect(still.placement?.region).toBe('us-east');

    // The deposit is in the canonical chain too: the indexer reports it again, with a new id.
    await fund(waiting);
    await waitState(waiting.jobId, commonV1.JobState.JOB_STATE_QUEUED);
    await call<matchmakerV1.CancelJobRequest, matchmakerV1.CancelJobResponse>(
      mm.client.cancelJob.bind(mm.client),
      { jobId: waiting.jobId, reason: 'test done' },
    );
  });
});
