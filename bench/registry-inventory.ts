// Registry inventory convergence with 1,000 kwok GPU nodes across three regions.
// Three private kwok control planes (never the shared ones), a fresh contract deployment on the
// stack's anvil, the registry in this process. Measures: (1) live: nodes are created and joined
// (signed) while the registry runs, time from the last join until GetCapacity counts them all;
// (2) cold: the registry restarts over the full fleet, time until it has converged again.
// Prints the figures and writes bench/results/registry-inventory.json. Run: npx tsx bench/registry-inventory.ts
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { Pool } from 'pg';
import { requireStackVar, waitUntil } from '@starminer/testing';
import { joinNode } from '../cli/src/commands/node/node-join';
import { coreApi, createGpuNode } from '../services/registry/test/support/kwok-nodes';
import { PrivateCluster } from '../services/registry/test/support/private-cluster';
import {
  RegistryHarness,
  type HarnessEnv,
} from '../services/registry/test/support/registry-harness';
import { AGPU, TestChain } from '../services/registry/test/support/test-chain';

const TOTAL = Number(process.env.BENCH_NODES ?? 1000);
const REGIONS = ['bench-a', 'bench-b', 'bench-c'];
const IN_FLIGHT = 16;

async function pooled<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function main(): Promise<void> {
  const run = randomBytes(4).toString('hex');
  const schema = `registry_bench${run}`;
  const chain = new TestChain();
  const providers = REGIONS.map(() => new Wallet(Wallet.createRandom().privateKey));
  const clusters: PrivateCluster[] = [];
  let registry: RegistryHarness | undefined;
  try {
    await chain.deploy(providers);
    for (const p of providers) {
      await chain.register(p);
      await chain.stake(p, AGPU(100));
    }
    for (const _ of REGIONS) clusters.push(await PrivateCluster.create({ kwok: true }));
    const env: HarnessEnv = {
      schema,
      // The registry runs in this process's own Kafka namespace (stackEnv's KAFKA_TOPIC_PREFIX).
      deploymentsFile: chain.deploymentsFile,
      nodeSelector: 'starminer.io/provider',
      regions: REGIONS.map((region, i) => ({ region, kubeconfig: clusters[i]!.kubeconfig })),
      extra: {
        LOG_LEVEL: 'error',
        RESYNC_INTERVAL_MS: '60000',
        PROVIDER_MAX_AGE_MS: '10000',
        PROVIDER_RECHECK_INTERVAL_MS: '15000',
        RECONCILE_CONCURRENCY: '8',
      },
    };
    registry = await RegistryHarness.start(env);
    const counted = async () =>
      (await registry!.getCapacity({})).pools.reduce((s, p) => s + p.nodes, 0);

    const jobs = Array.from({ length: TOTAL }, (_, i) => ({ i, r: i % REGIONS.length }));
    const cores = clusters.map((c) => coreApi(c.kubeconfig));
    const t0 = Date.now();
    await pooled(jobs, IN_FLIGHT, async ({ i, r }) => {
      const name = `gpu-${i}`;
      await createGpuNode(cores[r]!, { name, labels: {}, gpus: 8 });
      await joinNode(cores[r]!, {
        region: REGIONS[r]!,
        providerKey: providers[r]!.privateKey,
        node: name,
        pool: 'h100-bench',
      });
    });
    const joinedAt = Date.now();
    await waitUntil(
      'live convergence',
      async () => ((await counted()) === TOTAL ? true : undefined),
      { timeoutMs: 600_000, intervalMs: 100 },
    );
    const liveDone = Date.now();

    await registry.stop();
    registry = await RegistryHarness.start(env);
    const coldStart = Date.now();
    // Cold: the table already holds the fleet; wait until every node was reconciled again.
    await waitUntil(
      'cold convergence',
      async () => {
        const c = registry!.runtime().controller;
        return (await counted()) === TOTAL &&
          c.problems().length === 0 &&
          c.backlog() === 0 &&
          c.stats.reconciled >= TOTAL
          ? true
          : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 100 },
    );
    const coldDone = Date.now();

    const result = {
      nodes: TOTAL,
      regions: REGIONS.length,
      gpus: TOTAL * 8,
      createAndJoinSeconds: (joinedAt - t0) / 1000,
      liveConvergenceAfterLastJoinSeconds: (liveDone - joinedAt) / 1000,
      liveConvergenceFromFirstJoinSeconds: (liveDone - t0) / 1000,
      coldRestartConvergenceSeconds: (coldDone - coldStart) / 1000,
      reconcileConcurrencyPerRegion: 8,
      measuredAt: new Date().toISOString(),
    };
    console.log(JSON.stringify(result, null, 2));
    const out = path.join(__dirname, 'results', 'registry-inventory.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await registry?.stop().catch(() => undefined);
    for (const c of clusters) c.delete();
    const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => pool.end());
    chain.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
