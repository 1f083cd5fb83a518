import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import { regionKubeconfig, stackRegions, waitUntil } from '@starminer/testing';
import {
  call,
  deleteNamespace,
  EventPublisher,
  startMatchmaker,
  startQuoteServer,
  type Matchmaker,
} from './support/harness';

// Many jobs of mixed GPU needs across the three regions, with the matchmaker stopped and a new
// process started on the same schema mid-run: every job ends, each has exactly one Kubernetes
// Job, and no node ever has more GPUs requested by bound pods than it has (sampled from the
// API servers throughout).
const runId = randomUUID().slice(0, 8);
const CLIENT = '0x00000000000000000000000000000000000000c2';
const JOBS = 40;
const TERMINAL = new Set([
  commonV1.JobState.JOB_STATE_SUCCEEDED,
  commonV1.JobState.JOB_STATE_FAILED,
]);

const shapes: Array<{ region: string; product: string; max: number }> = [
  { region: 'us-east', product: 'H100-80GB', max: 8 },
  { region: 'us-east', product: 'A100-80GB', max: 4 },
  { region: 'eu-west', product: 'L40S', max: 4 },
  { region: 'eu-west', product: 'A100-40GB', max: 4 },
  { region: 'ap-south', product: 'RTX-4090', max: 2 },
];

function cores() {
  return stackRegions().map((region) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(regionKubeconfig(region));
    return {
      region,
      core: kc.makeApiClient(k8s.CoreV1Api),
      batch: kc.makeApiClient(k8s.BatchV1Api),
    };
  });
}

/** Nodes whose bound, live pods request more nvidia.com/gpu than the node has. */
async function overcommitted(): Promise<string[]> {
  const bad: string[] = [];
  for (const { region, core } of cores()) {
    const [nodes, pods] = await Promise.all([core.listNode(), core.listPodForAllNamespaces()]);
    const used = new Map<string, number>();
    for (const p of pods.items) {
      if (!p.spec?.nodeName || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
        continue;
      const g = (p.spec.containers ?? []).reduce(
        (s, c) => s + Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0),
        0,
      );
      used.set(p.spec.nodeName, (used.get(p.spec.nodeName) ?? 0) + g);
    }
    for (const n of nodes.items) {
      const cap = Number(n.status?.allocatable?.['nvidia.com/gpu'] ?? 0);
      if ((used.get(n.metadata!.name!) ?? 0) > cap)
        bad.push(`${region}/${n.metadata!.name} ${used.get(n.metadata!.name!)}>${cap}`);
    }
  }
  return bad;
}

let events: EventPublisher;
let quotes: Awaited<ReturnType<typeof startQuoteServer>>;
let mm: Matchmaker | undefined;

beforeAll(async () => {
  quotes = await startQuoteServer();
  events = new EventPublisher();
  await events.connect();
  await events.announceClusterNodes();
});

afterAll(async () => {
  await mm?.stop();
  await events?.disconnect();
  await quotes?.stop();
  await deleteNamespace(`mm-${runId}`);
});

it('survives a matchmaker restart mid-run without losing, duplicating or overcommitting', async () => {
  mm = await startMatchmaker({ pricingAddress: quotes.address, runId });
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const s = shapes[i % shapes.length]!;
    const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
      mm.client.submitJob.bind(mm.client),
      {
        idempotencyKey: `k-${i}`,
        client: CLIENT,
        clientId: `tenant-${i % 3}`,
        quoteId: '',
        spec: {
          workload: {
            image: 'ghcr.io/acme/job:1',
            command: [],
            args: [],
            env: {},
            template: undefined,
          },
          gpu: { product: s.product, count: 1 + (i % s.max), minVramMib: 0 },
          jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED,
          urgency: 1 + (i % 4),
          latency: { mode: { $case: 'batch', value: {} } },
          regionPreference: [s.region],
          maxPrice: { baseUnits: (10n ** 24n).toString() },
          maxDurationSeconds: 300,
        },
        simulation: { runtime: `${2 + (i % 4)}s`, fail: i % 10 === 9, exitCode: 3 },
      },
    );
    const job = res.job!;
    ids.push(job.jobId);
    await events.fund(job.jobId, CLIENT, job.quote!.quoteId, BigInt(job.quote!.total!.baseUnits));
  }

  const samples: string[][] = [];
  const sampler = setInterval(
    () =>
      void overcommitted().then(
        (b) => samples.push(b),
        () => undefined,
      ),
    500,
  );
  try {
    // Stop the process once some jobs run, and start a new one on the same schema.
    await waitUntil('a few jobs running', async () => {
      const r = await call<matchmakerV1.ListJobsRequest, matchmakerV1.ListJobsResponse>(
        mm!.client.listJobs.bind(mm!.client),
        { clientId: '', pageSize: 100, pageToken: '' },
      );
      return r.jobs.filter((j) => j.state === commonV1.JobState.JOB_STATE_RUNNING).length >= 3
        ? true
        : undefined;
    });
    await mm.stop();
    mm = await startMatchmaker({ pricingAddress: quotes.address, runId });

    const final = await waitUntil(
      'every job terminal',
      async () => {
        const r = await call<matchmakerV1.ListJobsRequest, matchmakerV1.ListJobsResponse>(
          mm!.client.listJobs.bind(mm!.client),
          { clientId: '', pageSize: 100, pageToken: '' },
        );
        return r.jobs.length === JOBS && r.jobs.every((j) => TERMINAL.has(j.state))
          ? r.jobs
          : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
    expect(
      final.filter((j) => j.state === commonV1.JobState.JOB_STATE_FAILED).map((j) => j.endReason),
    ).toEqual(Array(JOBS / 10).fill('ExitCode'));
    for (const j of final) {
      expect(j.attempt).toBe(1);
      expect(BigInt(j.gpuSeconds)).toBeGreaterThan(0n);
    }
  } finally {
    clearInterval(sampler);
  }
  expect(samples.length).toBeGreaterThan(3);
  expect(samples.flat()).toEqual([]);

  // Exactly one Kubernetes Job per job, across the regions (once the API servers list one of
  // each: waited on their view, not on the matchmaker's).
  const perJob = await waitUntil('a Kubernetes Job of every job listed', async () => {
    const counts = new Map<string, number>();
    for (const { batch } of cores()) {
      const list = await batch.listNamespacedJob({ namespace: `mm-${runId}` });
      for (const kj of list.items) {
        const id = kj.metadata!.labels!['starminer.io/job-id']!;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    return ids.every((id) => counts.has(id)) ? counts : undefined;
  });
  expect([...perJob.keys()].sort()).toEqual([...ids].sort());
  expect([...perJob.values()].every((n) => n === 1)).toBe(true);
});
