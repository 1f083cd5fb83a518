// Reputation scores drive matching, with the real matchmaker and reputation services: a private
// kwok region (its own control plane, so nodes can be deleted under running jobs) holds provider
// X's pool of L40S nodes. Jobs on X lose their node twice (deleted mid-run), which the matchmaker
// reports as a node fault; the reputation service scores it from the job events and X drops
// below the exclusion threshold. Provider Y then joins with one node of the same product: every
// new job goes to Y, even while X's nodes stand free and healthy, and Y's score rises above the
// newcomer score. A workload's own failure on X does not count against X. With the reputation
// service down, matching goes on with the last scores the matchmaker fetched.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import {
  PrivateKwokRegion,
  standInDeployment,
  waitUntil,
  writeRegionsFile,
  type StandIn,
} from '@starminer/testing';
import {
  call,
  EventPublisher,
  startMatchmaker,
  startQuoteServer,
  type Matchmaker,
} from '../../matchmaker/test/support/harness';
import { dropSchemas, startReputation, type Reputation } from './support/reputation';

const runId = randomUUID().slice(0, 8);
const region = `rep-${runId}`;
const PRODUCT = 'NVIDIA-L40S';
const X = Wallet.createRandom().address.toLowerCase();
const Y = Wallet.createRandom().address.toLowerCase();
const CLIENT = Wallet.createRandom().address.toLowerCase();
const repoRoot = path.resolve(__dirname, '../../..');

let kwok: PrivateKwokRegion;
let dir: string;
/** The deployment the matchmaker, the reputation service and the test's publisher share. */
let deployment: StandIn;
let events: EventPublisher;
let quotes: Awaited<ReturnType<typeof startQuoteServer>>;
let mm: Matchmaker;
let reputation: Reputation;
let stopped = false;

/** Y's node: one more pool in the private region, rendered like every simulated GPU node. */
function addProviderNode(provider: string, pool: string): string {
  const products = JSON.parse(
    execFileSync(
      'node',
      [
        '-e',
        "console.log(JSON.stringify(require('yaml').parse(require('fs').readFileSync(process.argv[1],'utf8')).products))",
        path.join(repoRoot, 'deploy/local/gpu-nodes.yaml'),
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    ),
  ) as Record<string, unknown>;
  const file = path.join(dir, `${pool}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      providers: { p: provider },
      products,
      pools: [
        {
          region,
          pool,
          provider: 'p',
          product: 'L40S',
          gpusPerNode: 4,
          nodes: 1,
          cpu: 64,
          memory: '512Gi',
        },
      ],
    }),
  );
  const manifest = execFileSync(
    'node',
    [path.join(repoRoot, 'deploy/local/k8s/gpu-nodes.js'), 'node', region, pool, '0'],
    { env: { ...process.env, GPU_NODES_FILE: file }, encoding: 'utf8' },
  );
  kwok.kubectl(['apply', '-f', '-'], manifest);
  return `${region}-${pool}-0`;
}

async function submit(runtime: string, fail = false): Promise<string> {
  const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
    mm.client.submitJob.bind(mm.client),
    {
      idempotencyKey: randomUUID(),
      client: CLIENT,
      clientId: `tenant-${runId}`,
      quoteId: '',
      spec: {
        workload: {
          image: 'ghcr.io/acme/job:1',
          command: [],
          args: [],
          env: {},
          template: undefined,
        },
        gpu: { product: PRODUCT, count: 4, minVramMib: 0 },
        jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED,
        urgency: commonV1.Urgency.URGENCY_NORMAL,
        latency: { mode: { $case: 'batch', value: {} } },
        regionPreference: [region],
        maxPrice: { baseUnits: (10n ** 24n).toString() },
        // what a lost job weighs for the provider: 4 GPUs x 2 h without an estimate
        maxDurationSeconds: 7_200,
      },
      simulation: { runtime, fail, exitCode: 3 },
    },
  );
  const job = res.job!;
  await events.fund(job.jobId, CLIENT, job.quote!.quoteId, BigInt(job.quote!.total!.baseUnits));
  return job.jobId;
}

const getJob = (jobId: string) =>
  call<matchmakerV1.GetJobRequest, matchmakerV1.GetJobResponse>(mm.client.getJob.bind(mm.client), {
    jobId,
  }).then((r) => r.job!);

async function waitState(jobId: string, state: commonV1.JobState): Promise<matchmakerV1.Job> {
  return waitUntil(
    `job ${jobId} ${commonV1.jobStateToJSON(state)}`,
    async () => {
      const j = await getJob(jobId);
      return j.state === state ? j : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

/** The node the job's current pod runs on, once it runs. */
async function runningOn(jobId: string, attempt: number): Promise<string> {
  return waitUntil(
    `job ${jobId} attempt ${attempt} running`,
    async () => {
      const pods = JSON.parse(kwok.kubectl(['get', 'pods', '-n', mm.namespace, '-o', 'json'])) as {
        items: Array<{
          metadata: { labels?: Record<string, string> };
          spec: { nodeName?: string };
          status: { phase?: string };
        }>;
      };
      const pod = pods.items.find(
        (p) =>
          p.metadata.labels?.['starminer.io/job-id'] === jobId &&
          p.metadata.labels['starminer.io/attempt'] === String(attempt) &&
          p.status.phase === 'Running',
      );
      return pod?.spec.nodeName;
    },
    { timeoutMs: 90_000 },
  );
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rep-match-'));
  deployment = standInDeployment();
  kwok = await PrivateKwokRegion.create({
    region,
    provider: X,
    pools: [{ pool: 'px', product: 'L40S', gpusPerNode: 4, nodes: 2 }],
  });
  reputation = await startReputation({
    runId: runId.replace(/-/g, '_'),
    deploymentsFile: deployment.file,
    regions: [region],
    env: { REPUTATION_EPOCH_SECONDS: '0' },
  });
  events = new EventPublisher(deployment);
  await events.connect();
  quotes = await startQuoteServer();
  mm = await startMatchmaker({
    pricingAddress: quotes.address,
    runId,
    deployment,
    extraEnv: {
      REGIONS_FILE: writeRegionsFile(dir, [region]),
      STARMINER_REGIONS: region,
      [`KUBECONFIG_${region.toUpperCase().replace(/-/g, '_')}`]: kwok.kubeconfig,
      REPUTATION_GRPC_URL: reputation.grpcAddress,
      REPUTATION_CACHE_TTL_MS: '300',
    },
  });
  // X's nodes, X active and the tier's price, as registry, chain-indexer and pricing announce them
  await events.announceClusterNodes([{ region, kubeconfig: kwok.kubeconfig }]);
}, 240_000);

afterAll(async () => {
  await mm?.stop();
  await quotes?.stop();
  await events?.disconnect();
  if (!stopped) await reputation?.stop();
  kwok?.delete();
  await dropSchemas(`mm_${runId}`, `rep_${runId}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('reputation scores in matching', () => {
  it('does not count a workload error against the provider', async () => {
    const jobId = await submit('1s', true);
    const failed = await waitState(jobId, commonV1.JobState.JOB_STATE_FAILED);
    expect(failed.placement?.provider).toBe(X);
    await waitUntil(
      'the workload error recorded as ignored evidence',
      async () =>
        (await reputation.explain(X)).evidence.some(
          (e) => e.kind === 'ignored' && e.cause === 'workload-error',
        ) || undefined,
      { timeoutMs: 60_000 },
    );
    const s = await reputation.score(X);
    expect(s.jobsFailed).toBe('0');
    expect(s.excluded).toBe(false);
  }, 150_000);

  it('excludes a provider whose nodes fail jobs and matches new jobs only to the reliable one', async () => {
    // a job on X loses its node, is requeued onto X's other node, and loses that one too
    const lost = await submit('300s');
    const first = await runningOn(lost, 1);
    kwok.kubectl(['delete', 'node', first, '--wait=true']);
    const second = await runningOn(lost, 2);
    expect(second).not.toBe(first);
    kwok.kubectl(['delete', 'node', second, '--wait=true']);
    const failed = await waitState(lost, commonV1.JobState.JOB_STATE_FAILED);
    expect(failed.placement?.provider).toBe(X);

    const excluded = await waitUntil(
      'X below the threshold',
      async () => {
        const s = await reputation.score(X);
        return s.excluded ? s : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(excluded.scoreBps).toBeLessThan(excluded.exclusionThresholdBps);
    expect(excluded.jobsFailed).toBe('1');
    // what matching reads: X below any floor
    await waitUntil(
      'matchmaker sees X excluded',
      async () => ((await mm.runtime.reputation.scores()).get(X) === 0 ? true : undefined),
      { timeoutMs: 30_000 },
    );

    // X's nodes come back healthy; Y joins with one node of the same product
    kwok.addNode('px', 0);
    kwok.addNode('px', 1);
    addProviderNode(Y, 'py');
    await events.announceClusterNodes([{ region, kubeconfig: kwok.kubeconfig }]);
    await waitUntil(
      'X nodes ready',
      async () => {
        const nodes = JSON.parse(kwok.kubectl(['get', 'nodes', '-o', 'json'])) as {
          items: Array<{ status: { conditions?: Array<{ type: string; status: string }> } }>;
        };
        return nodes.items.length === 3 &&
          nodes.items.every((n) =>
            n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          )
          ? true
          : undefined;
      },
      { timeoutMs: 60_000 },
    );

    const before = await reputation.score(Y);
    // three 4-GPU jobs at once: Y's single node takes them one after another while X's two
    // free nodes could take two at once; none goes to X
    const jobs = [await submit('4s'), await submit('4s'), await submit('4s')];
    for (const jobId of jobs) {
      const done = await waitState(jobId, commonV1.JobState.JOB_STATE_SUCCEEDED);
      expect(done.placement).toMatchObject({ provider: Y, pool: 'py', region });
    }
    const after = await waitUntil(
      'Y scored for its jobs',
      async () => {
        const s = await reputation.score(Y);
        return s.jobsSucceeded === '3' ? s : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(before.scoreBps).toBe(8_000); // the newcomer score
    expect(after.scoreBps).toBeGreaterThan(before.scoreBps);
    expect(after.excluded).toBe(false);
    expect((await reputation.score(X)).excluded).toBe(true);
  }, 300_000);

  it('keeps matching on the last known scores while the reputation service is down', async () => {
    await reputation.stop();
    stopped = true;
    // Read once the service is down: a refresh answered before it stopped may land until then.
    const loadedAt = mm.runtime.reputation.lastLoadedAt;
    expect(loadedAt).toBeDefined();
    const jobId = await submit('2s');
    const done = await waitState(jobId, commonV1.JobState.JOB_STATE_SUCCEEDED);
    expect(done.placement?.provider).toBe(Y);
    // refreshes failed in the meantime (nothing new loaded) and X stayed excluded
    expect(mm.runtime.reputation.lastLoadedAt).toBe(loadedAt);
    expect((await mm.runtime.reputation.scores()).get(X)).toBe(0);
  }, 120_000);
});
