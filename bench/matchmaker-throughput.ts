// Matchmaker throughput against the kube-scheduler alone, on the same kwok GPU nodes.
// Setup: a fresh contract deployment on the stack's anvil, a provider of the bench's own
// (registered, staked) with BENCH_NODES kwok H100 nodes of 8 GPUs joined to a private kwok
// control plane serving as region ap-south (the stack's binaries and pod stages, QPS limits
// lifted as in the shared regions; private so that no other registry or workload touches it),
// and the real chain-indexer, registry and pricing services (from their builds) plus the
// matchmaker.
// Phase 1 (whole path): N jobs submitted to the matchmaker, each quoted by pricing and funded on
// chain by the client, matched, dispatched as a batch/v1 Job, run by kwok.
// Phase 2 (kube-scheduler alone): the same N Jobs (same GPU counts and runtime) created directly
// in another namespace, pinned to the same pool only by a node selector.
// Measured for both: submit-to-Running per job (Running = first sample where the job's pod is
// Running, sampled every 250 ms from one pod list), throughput (jobs / time from the first
// submit to the last Running), and GPU allocation on the bench's nodes in the samples where a
// submitted job has not started (mean allocated fraction, fully used nodes, and the share of free
// GPUs stranded on partly used nodes); for the whole path also the time from submit to each
// stage (funded, matched, dispatched, started) from the matchmaker's event store.
// Prints the figures and writes bench/results/matchmaker-throughput.json.
// Run: npx tsc -b tsconfig.build.json && npx tsx bench/matchmaker-throughput.ts (BENCH_JOBS=200)
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { Wallet } from 'ethers';
import { Pool } from 'pg';
import { connectContracts, devWallet, jobIdFromUuid } from '@starminer/chain';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import {
  deployFreshProtocol,
  requireStackVar,
  waitUntil,
  withScopes,
  type PrivateKwokRegion,
} from '@starminer/testing';
import { call, startMatchmaker } from '../services/matchmaker/test/support/harness';
import { GPUS_PER_NODE, pooled, Sampler, stages } from './support/pod-sampler';
import {
  joinedPrivateRegion,
  registerAndStake,
  startProtocolServices,
} from '../services/matchmaker/test/support/protocol-services';

const N = Number(process.env.BENCH_JOBS ?? 200);
const NODES = Number(process.env.BENCH_NODES ?? 8);
const RUNTIME_SECONDS = Number(process.env.BENCH_RUNTIME_SECONDS ?? 5);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
const REGION = 'ap-south';
const H100 = 'NVIDIA-H100-80GB-HBM3';
/** GPU counts cycled over the jobs: a mix that fragments nodes unless placement packs. */
const MIX = [1, 2, 4, 1, 3, 2, 1, 6, 2, 1, 4, 8];
const client = devWallet(19); // a dev account no test uses

async function main(): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const AGPU = 10n ** 18n;
  const protocol = await deployFreshProtocol(requireStackVar('CHAIN_RPC_URL'), {
    grants: [{ to: client.address, amount: 10_000_000n * AGPU }],
  });
  const clientWallet = new Wallet(client.privateKey, protocol.provider);
  const asClient = connectContracts(protocol.deployments, clientWallet);
  const provider = await protocol.fundedWallet();
  const pool = 'h100-bench';
  const directNs = `mmb-direct-${run}`;
  let region: PrivateKwokRegion | undefined;
  let services: Awaited<ReturnType<typeof startProtocolServices>> | undefined;
  let mm: Awaited<ReturnType<typeof startMatchmaker>> | undefined;
  try {
    await (
      await asClient.agpu.transfer(
        provider.address,
        BigInt(protocol.deployments.parameters.minStake),
      )
    ).wait();
    await registerAndStake(protocol.deployments, provider, [REGION]);
    await (await asClient.providerRegistry.registerClient()).wait();
    await (
      await asClient.agpu.approve(protocol.deployments.contracts.jobEscrow, 10_000_000n * AGPU)
    ).wait();
    region = await joinedPrivateRegion({
      region: REGION,
      provider,
      pools: [{ pool, product: 'H100-80GB', gpusPerNode: GPUS_PER_NODE, nodes: NODES }],
    });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(region.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    const nodeNames = (
      await core.listNode({ labelSelector: `starminer.io/pool=${pool}` })
    ).items.map((n) => n.metadata!.name!);
    services = await startProtocolServices({
      run: `b${run}`,
      deploymentsFile: protocol.deploymentsFile,
      pricingKey: protocol.pricingKey,
      settlerKey: protocol.settlerKey,
      regions: [{ region: REGION, kubeconfig: region.kubeconfig }],
      quoteValiditySeconds: 600,
    });
    mm = await startMatchmaker({
      pricingAddress: services.pricingGrpc,
      runId: `mmb-${run}`,
      // The fresh contracts' deployment, the one the real services publish in; the services and
      // the matchmaker share this process's Kafka namespace (stackEnv's KAFKA_TOPIC_PREFIX).
      deployment: withScopes(protocol.deployments, protocol.deploymentsFile),
      extraEnv: {
        STARMINER_REGIONS: REGION,
        KUBECONFIG_AP_SOUTH: region.kubeconfig,
        LOG_LEVEL: 'error',
      },
    });
    const m = mm;
    const counts = Array.from({ length: N }, (_, i) => MIX[i % MIX.length]!);
    const spec = (gpus: number): commonV1.JobSpec => ({
      workload: {
        image: 'ghcr.io/acme/bench:1',
        command: [],
        args: [],
        env: {},
        template: undefined,
      },
      gpu: { product: H100, count: gpus, minVramMib: 0 },
      jobClass: commonV1.JobClass.JOB_CLASS_OTHER,
      urgency: commonV1.Urgency.URGENCY_NORMAL,
      latency: { mode: { $case: 'batch', value: {} } },
      regionPreference: [REGION],
      maxPrice: { baseUnits: (10n ** 24n).toString() },
      maxDurationSeconds: 120,
    });
    // One wallet sends one transaction at a time (each takes the next pending nonce); the
    // receipts are awaited concurrently.
    let sending: Promise<unknown> = Promise.resolve();
    const fundJob = async (job: matchmakerV1.Job) => {
      const q = job.quote!;
      const quote = {
        jobId: jobIdFromUuid(job.jobId),
        client: client.address,
        pricePerGpuSecond: BigInt(q.pricePerGpuSecond!.baseUnits),
        maxGpuSeconds: BigInt(q.maxGpuSeconds),
        tier: q.escrowTier,
        maxDuration: BigInt(q.maxDuration),
        expiry: BigInt(Math.floor(new Date(q.expiresAt!).getTime() / 1000)),
        nonce: BigInt(q.quoteId),
      };
      const sent = sending.then(() => asClient.jobEscrow.fund(quote.jobId, quote, q.signature));
      sending = sent.then(
        () => undefined,
        () => undefined,
      );
      await (await sent).wait();
    };
    // Warm-up: the registry has to admit the nodes and pricing to see them before a quote is
    // possible, and the new consumer groups first read the shared topics' history; one funded
    // job running shows the whole path is live before anything is measured.
    const warm = await waitUntil(
      'pricing to quote the bench pool',
      () =>
        call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
          m.client.submitJob.bind(m.client),
          {
            idempotencyKey: `warmup-${randomUUID()}`,
            client: client.address,
            spec: spec(1),
            quoteId: '',
            clientId: `bench-warmup-${run}`,
            simulation: { runtime: '1s', fail: false, exitCode: 0 },
          },
        ).then(
          (r) => (r.job?.quote?.region === REGION ? r.job : undefined),
          () => undefined,
        ),
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    await fundJob(warm);
    await waitUntil(
      'the warm-up job to run',
      async () => {
        const j = await call<matchmakerV1.GetJobRequest, matchmakerV1.GetJobResponse>(
          m.client.getJob.bind(m.client),
          { jobId: warm.jobId },
        );
        return j.job!.state >= commonV1.JobState.JOB_STATE_RUNNING ? true : undefined;
      },
      { timeoutMs: 15 * 60_000, intervalMs: 1_000 },
    );

    // Phase 1: the whole path.
    console.log(
      `phase 1: ${N} jobs through the matchmaker (${NODES} nodes x ${GPUS_PER_NODE} GPUs)`,
    );
    const submitted1 = new Map<string, number>();
    const s1 = new Sampler(
      core,
      m.namespace,
      (p) => p.metadata?.labels?.['starminer.io/job-id'],
      nodeNames,
      submitted1,
    );
    let retries = 0;
    s1.start();
    await pooled(counts, IN_FLIGHT, async (gpus) => {
      const t0 = Date.now();
      const request: matchmakerV1.SubmitJobRequest = {
        idempotencyKey: randomUUID(),
        client: client.address,
        spec: spec(gpus),
        quoteId: '',
        clientId: `bench-${run}`,
        simulation: { runtime: `${RUNTIME_SECONDS}s`, fail: false, exitCode: 0 },
      };
      // As a client does: UNAVAILABLE (pricing slow to quote) is retried with the same key.
      let res: matchmakerV1.SubmitJobResponse | undefined;
      for (let attempt = 1; !res; attempt++) {
        res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
          m.client.submitJob.bind(m.client),
          request,
        ).catch((err: { code?: number }) => {
          if (err.code !== 14 || attempt >= 10) throw err;
          retries++;
          return undefined;
        });
      }
      const job = res.job!;
      submitted1.set(job.jobId, t0);
      await fundJob(job);
    });
    await waitUntil(
      'every job Running (phase 1)',
      async () => ([...submitted1.keys()].every((k) => s1.runningAt.has(k)) ? true : undefined),
      { timeoutMs: 30 * 60_000, intervalMs: 500 },
    );
    s1.stop();
    const whole = {
      ...s1.result(submitted1),
      submitRetries: retries,
      stagesFromSubmitMs: await stages(`mm_mmb_${run}`),
    };
    console.log(JSON.stringify(whole));
    await mm.stop();
    mm = undefined;
    await services.stop();
    services = undefined;
    // Let phase 1's pods finish before the scheduler gets the same nodes.
    await waitUntil(
      'phase 1 pods to finish',
      async () => {
        const pods = await core.listNamespacedPod({ namespace: `mm-mmb-${run}` });
        return pods.items.every((p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''))
          ? true
          : undefined;
      },
      { timeoutMs: 10 * 60_000, intervalMs: 1_000 },
    );

    // Phase 2: the same Jobs straight to the API server; the kube-scheduler places them.
    console.log(`phase 2: the same ${N} Jobs created directly (kube-scheduler alone)`);
    await core.createNamespace({ body: { metadata: { name: directNs } } });
    const submitted2 = new Map<string, number>();
    const s2 = new Sampler(
      core,
      directNs,
      (p) => p.metadata?.labels?.['job-name'],
      nodeNames,
      submitted2,
    );
    s2.start();
    await pooled(counts, IN_FLIGHT, async (gpus, i) => {
      const name = `b-${i}`;
      submitted2.set(name, Date.now());
      await batch.createNamespacedJob({
        namespace: directNs,
        body: {
          metadata: { name },
          spec: {
            backoffLimit: 0,
            ttlSecondsAfterFinished: 300,
            template: {
              metadata: { annotations: { 'starminer.io/sim-runtime': `${RUNTIME_SECONDS}s` } },
              spec: {
                restartPolicy: 'Never',
                nodeSelector: { 'starminer.io/pool': pool },
                tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
                containers: [
                  {
                    name: 'job',
                    image: 'ghcr.io/acme/bench:1',
                    resources: {
                      requests: { 'nvidia.com/gpu': String(gpus) },
                      limits: { 'nvidia.com/gpu': String(gpus) },
                    },
                  },
                ],
              },
            },
          },
        },
      });
    });
    await waitUntil(
      'every job Running (phase 2)',
      async () => ([...submitted2.keys()].every((k) => s2.runningAt.has(k)) ? true : undefined),
      { timeoutMs: 30 * 60_000, intervalMs: 500 },
    );
    s2.stop();
    const alone = s2.result(submitted2);
    console.log(JSON.stringify(alone));

    const out = {
      jobs: N,
      nodes: NODES,
      gpusPerNode: GPUS_PER_NODE,
      runtimeSeconds: RUNTIME_SECONDS,
      gpuMix: MIX,
      submitsInFlight: IN_FLIGHT,
      cluster:
        'private kwok control plane as region ap-south (kwokctl, binary runtime, stack pod stages); kube-scheduler and kube-controller-manager with --disable-qps-limits',
      wholePath: whole,
      schedulerAlone: alone,
      ratio: {
        throughput: Number(
          (whole.throughputJobsPerSecond / alone.throughputJobsPerSecond).toFixed(3),
        ),
        p50: Number((whole.submitToRunningMs.p50 / alone.submitToRunningMs.p50).toFixed(2)),
        p99: Number((whole.submitToRunningMs.p99 / alone.submitToRunningMs.p99).toFixed(2)),
      },
    };
    console.table({
      'whole path': {
        'jobs/s': whole.throughputJobsPerSecond,
        'p50 ms': whole.submitToRunningMs.p50,
        'p99 ms': whole.submitToRunningMs.p99,
        'GPU alloc': whole.packing.meanGpuAllocation,
        'full nodes': whole.packing.meanFullyUsedNodes,
        'stranded free': whole.packing.meanStrandedFreeGpus,
      },
      'kube-scheduler alone': {
        'jobs/s': alone.throughputJobsPerSecond,
        'p50 ms': alone.submitToRunningMs.p50,
        'p99 ms': alone.submitToRunningMs.p99,
        'GPU alloc': alone.packing.meanGpuAllocation,
        'full nodes': alone.packing.meanFullyUsedNodes,
        'stranded free': alone.packing.meanStrandedFreeGpus,
      },
    });
    console.log('ratio (whole path / scheduler alone):', out.ratio);
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'matchmaker-throughput.json'), JSON.stringify(out, null, 2));
  } finally {
    await mm?.stop().catch(() => undefined);
    await services?.stop().catch(() => undefined);
    region?.delete();
    const db = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 1 });
    for (const s of [`ci_b${run}`, `reg_b${run}`, `pricing_b${run}`, `mm_mmb_${run}`])
      await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await db.end();
    protocol.provider.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(
      `matchmaker-throughput failed: ${err instanceof Error ? err.stack : String(err)}`,
    );
    process.exit(1);
  },
);
