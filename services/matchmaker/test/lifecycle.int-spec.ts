import { randomUUID } from 'node:crypto';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import { waitUntil } from '@starminer/testing';
import { kubeJobName } from '../src/domain/dispatch-spec';
import {
  batchApi,
  call,
  deleteNamespace,
  EventPublisher,
  startMatchmaker,
  startQuoteServer,
  TEST_PRICE,
  type Matchmaker,
} from './support/harness';

// The job lifecycle on real Postgres, Kafka and kube-apiservers with kwok GPU nodes:
// submit -> quoted -> funded (EscrowFunded on starminer.chain.v1) -> matched -> dispatched as a
// batch/v1 Job -> kwok runs it -> Succeeded / Failed with metered usage; cancel; quote expiry.
const runId = randomUUID().slice(0, 8);
const CLIENT = '0x00000000000000000000000000000000000000c1';
let mm: Matchmaker;
let events: EventPublisher;
let quotes: Awaited<ReturnType<typeof startQuoteServer>>;
let shortQuotes: Awaited<ReturnType<typeof startQuoteServer>>;
let mmShort: Matchmaker;

const spec = (o: Partial<commonV1.JobSpec> = {}): commonV1.JobSpec => ({
  workload: {
    image: 'ghcr.io/acme/train:1.0',
    command: ['python', 'train.py'],
    args: [],
    env: { EPOCHS: '1' },
    template: undefined,
  },
  gpu: { product: 'NVIDIA-H100-80GB-HBM3', count: 2, minVramMib: 0 },
  jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED,
  urgency: commonV1.Urgency.URGENCY_HIGH,
  latency: { mode: { $case: 'batch', value: {} } },
  regionPreference: ['us-east'],
  maxPrice: { baseUnits: (10n ** 24n).toString() },
  maxDurationSeconds: 120,
  ...o,
});

async function submit(
  m: Matchmaker,
  s: commonV1.JobSpec,
  simulation?: matchmakerV1.Simulation,
): Promise<matchmakerV1.Job> {
  const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
    m.client.submitJob.bind(m.client),
    {
      idempotencyKey: randomUUID(),
      client: CLIENT,
      spec: s,
      quoteId: '',
      clientId: `tenant-${runId}`,
      simulation,
    },
  );
  return res.job!;
}

const getJob = (m: Matchmaker, jobId: string) =>
  call<matchmakerV1.GetJobRequest, matchmakerV1.GetJobResponse>(m.client.getJob.bind(m.client), {
    jobId,
  }).then((r) => r.job!);

async function waitState(
  m: Matchmaker,
  jobId: string,
  state: commonV1.JobState,
  timeoutMs = 60_000,
): Promise<matchmakerV1.Job> {
  return waitUntil(
    `job ${jobId} in ${commonV1.jobStateToJSON(state)}`,
    async () => {
      const j = await getJob(m, jobId);
      return j.state === state ? j : undefined;
    },
    { timeoutMs },
  );
}

async function submitAndFund(
  s: commonV1.JobSpec,
  simulation: matchmakerV1.Simulation,
): Promise<matchmakerV1.Job> {
  const job = await submit(mm, s, simulation);
  expect(job.state).toBe(commonV1.JobState.JOB_STATE_QUOTED);
  await events.fund(job.jobId, CLIENT, job.quote!.quoteId, BigInt(job.quote!.total!.baseUnits));
  return job;
}

beforeAll(async () => {
  quotes = await startQuoteServer();
  shortQuotes = await startQuoteServer(1);
  events = new EventPublisher();
  await events.connect();
  await events.announceClusterNodes();
  mm = await startMatchmaker({ pricingAddress: quotes.address, runId });
  mmShort = await startMatchmaker({ pricingAddress: shortQuotes.address, runId: `${runId}-x` });
});

afterAll(async () => {
  await mm?.stop();
  await mmShort?.stop();
  await events?.disconnect();
  await quotes?.stop();
  await shortQuotes?.stop();
  await deleteNamespace(`mm-${runId}`);
  await deleteNamespace(`mm-${runId}-x`);
});

describe('matchmaker lifecycle', () => {
  it('refuses an invalid spec with field-level reasons and stores nothing', async () => {
    const err = await submit(
      mm,
      spec({ gpu: { product: 'B999', count: 0, minVramMib: 0 }, maxDurationSeconds: 0 }),
    ).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/spec.gpu.count must be between 1 and 8/);
    expect((err as Error).message).toMatch(/spec.gpu.product "B999" is not a known GPU class/);
    const r = await mm.service.app
      .get((await import('@starminer/service-kit')).PostgresDatabase)
      .pool.query(`SELECT count(*)::int AS n FROM mm_${runId}.jobs`);
    expect(r.rows[0].n).toBe(0);
  });

  it('runs a funded job to Succeeded on a kwok node and meters its GPU-seconds', async () => {
    const job = await submitAndFund(spec(), { runtime: '3s', fail: false, exitCode: 0 });
    expect(job.quote!.region).toBe('us-east');
    const running = await waitState(mm, job.jobId, commonV1.JobState.JOB_STATE_RUNNING);
    expect(running.placement).toMatchObject({
      region: 'us-east',
      pool: expect.stringMatching(/^h100/),
    });
    // Read from the API server itself, waiting on its view rather than on the matchmaker's.
    const kj = await waitUntil('its Kubernetes Job in us-east', () =>
      batchApi('us-east')
        .readNamespacedJob({ name: kubeJobName(job.jobId, 1), namespace: mm.namespace })
        .catch(() => undefined),
    );
    expect(kj.metadata!.labels).toMatchObject({
      'starminer.io/job-id': job.jobId,
      'starminer.io/tenant': `tenant-${runId}`,
    });
    expect(kj.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 120,
      podReplacementPolicy: 'Failed',
    });
    expect(kj.spec!.template.spec!.containers[0]!.resources!.limits).toEqual({
      'nvidia.com/gpu': '2',
    });

    const done = await waitState(mm, job.jobId, commonV1.JobState.JOB_STATE_SUCCEEDED);
    const gpuSeconds = BigInt(done.gpuSeconds);
    // kwok ran the pod for its scripted 3 s; the API server's timestamps are whole seconds.
    expect(gpuSeconds).toBeGreaterThanOrEqual(4n);
    expect(gpuSeconds % 2n).toBe(0n);
    expect(done.cost!.baseUnits).toBe((gpuSeconds * TEST_PRICE).toString());
  });

  it('fails a job whose workload exits non-zero, as a workload error with its exit code, charged for its usage', async () => {
    const job = await submitAndFund(spec({ gpu: { product: '', count: 1, minVramMib: 40_000 } }), {
      runtime: '2s',
      fail: true,
      exitCode: 42,
    });
    const failed = await waitState(mm, job.jobId, commonV1.JobState.JOB_STATE_FAILED);
    expect(failed.endReason).toBe('ExitCode');
    expect(BigInt(failed.cost!.baseUnits)).toBe(BigInt(failed.gpuSeconds) * TEST_PRICE);
  });

  it('cancels a running job: its Kubernetes Job is deleted and only the time it ran is charged', async () => {
    const job = await submitAndFund(
      spec({ gpu: { product: 'H100-80GB', count: 1, minVramMib: 0 } }),
      { runtime: '10m', fail: false, exitCode: 0 },
    );
    await waitState(mm, job.jobId, commonV1.JobState.JOB_STATE_RUNNING);
    const res = await call<matchmakerV1.CancelJobRequest, matchmakerV1.CancelJobResponse>(
      mm.client.cancelJob.bind(mm.client),
      { jobId: job.jobId, reason: 'enough' },
    );
    expect(res.job!.state).toBe(commonV1.JobState.JOB_STATE_CANCELLED);
    expect(BigInt(res.job!.cost!.baseUnits)).toBeLessThan(BigInt(job.quote!.total!.baseUnits));
    await waitUntil('the Kubernetes Job to be gone', async () =>
      batchApi('us-east')
        .readNamespacedJob({ name: kubeJobName(job.jobId, 1), namespace: mm.namespace })
        .then(
          () => undefined,
          (e: { code?: number }) => (e.code === 404 ? true : undefined),
        ),
    );
    const again = await call(mm.client.cancelJob.bind(mm.client), {
      jobId: job.jobId,
      reason: 'again',
    }).catch((e: Error) => e);
    expect((again as Error).message).toMatch(/Cancel is not allowed for a job in state Cancelled/);
  });

  it('expires a quote that is never funded', async () => {
    const job = await submit(mmShort, spec(), { runtime: '1s', fail: false, exitCode: 0 });
    const expired = await waitState(
      mmShort,
      job.jobId,
      commonV1.JobState.JOB_STATE_EXPIRED,
      30_000,
    );
    expect(expired.endReason).toBe('QuoteExpired');
  });
});
