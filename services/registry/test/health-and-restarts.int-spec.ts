import { randomBytes } from 'node:crypto';
import { registryV1 } from '@starminer/proto';
import { waitUntil } from '@starminer/testing';
import { Wallet } from 'ethers';
import { Pool } from 'pg';
import { requireStackVar } from '@starminer/testing';
import { joinNode } from '../../../cli/src/commands/node/node-join';
import { coreApi, createGpuNode, setReady } from './support/kwok-nodes';
import { PrivateCluster } from './support/private-cluster';
import { RegistryHarness, type HarnessEnv } from './support/registry-harness';
import { AGPU, TestChain } from './support/test-chain';

// A private control plane without a kwok controller: node status is in the test's hands, and
// the API server can be stopped without touching the shared regions.
const run = randomBytes(4).toString('hex');
const region = 'zz-test';
const chain = new TestChain();
const provider = new Wallet(Wallet.createRandom().privateKey);
const schema = `registry_t${run}`;
let cluster: PrivateCluster;
let core: ReturnType<typeof coreApi>;
let env: HarnessEnv;
let registry: RegistryHarness | undefined;
const ADMITTED = registryV1.NodeStatus.NODE_STATUS_ADMITTED;

async function addNode(name: string): Promise<void> {
  await createGpuNode(core, {
    name,
    labels: {},
    ready: true,
    gpus: 4,
    product: 'NVIDIA-L40S',
    memoryMiB: 46068,
  });
  await joinNode(core, { region, providerKey: provider.privateKey, node: name, pool: 'l40s-t' });
}

async function apiTruth(): Promise<string[]> {
  const { items } = await core.listNode({ labelSelector: 'starminer.io/provider' });
  return items.map((n) => n.metadata!.name!).sort();
}

async function registryAdmitted(): Promise<string[]> {
  const { nodes } = await registry!.listNodes({ region, status: ADMITTED, pageSize: 5000 });
  return nodes.map((n) => n.name).sort();
}

const converged = (what: string) =>
  waitUntil(
    what,
    async () => {
      const [truth, seen] = await Promise.all([apiTruth(), registryAdmitted()]);
      return JSON.stringify(truth) === JSON.stringify(seen) ? truth : undefined;
    },
    { timeoutMs: 60_000 },
  );

beforeAll(async () => {
  cluster = await PrivateCluster.create({ kwok: false });
  core = coreApi(cluster.kubeconfig);
  await chain.deploy([provider]);
  await chain.register(provider);
  await chain.stake(provider, AGPU(100));
  env = {
    schema,
    deploymentsFile: chain.deploymentsFile,
    nodeSelector: 'starminer.io/provider',
    regions: [{ region, kubeconfig: cluster.kubeconfig }],
  };
  registry = await RegistryHarness.start(env);
});

afterAll(async () => {
  await registry?.stop();
  cluster?.delete();
  const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 1 });
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
  chain.destroy();
});

describe('registry health and restarts', () => {
  it('given an admitted node goes NotReady, then it is quarantined and out of capacity, and recovers when Ready again', async () => {
    await addNode('flaky');
    const status = async (want: registryV1.NodeStatus) =>
      waitUntil(
        `flaky to be ${want}`,
        async () => {
          const n = await registry!.node(region, 'flaky');
          return n?.status === want ? n : undefined;
        },
        { timeoutMs: 30_000 },
      );
    await status(ADMITTED);
    await setReady(core, 'flaky', 'Unknown');
    expect(await status(registryV1.NodeStatus.NODE_STATUS_QUARANTINED)).toMatchObject({
      reason: 'NotReady',
      ready: false,
    });
    expect((await registry!.getCapacity({ region })).pools).toEqual([]);
    // The registry records the quarantine first and patches the node after: wait on the taint
    // itself, read from the API server.
    const taint = await waitUntil(
      'the NotReady taint on flaky',
      async () => {
        const node = await core.readNode({ name: 'flaky' });
        return node.spec?.taints?.find(
          (t) => t.key === 'starminer.io/not-admitted' && t.value === 'NotReady',
        );
      },
      { timeoutMs: 30_000 },
    );
    expect(taint).toMatchObject({ key: 'starminer.io/not-admitted', value: 'NotReady' });
    await setReady(core, 'flaky', 'True');
    expect(await status(ADMITTED)).toMatchObject({ ready: true, reason: '' });
    expect((await registry!.getCapacity({ region })).pools).toEqual([
      expect.objectContaining({ totalGpus: 4, gpuClass: 'L40S' }),
    ]);
  });

  it('given the API server stops and comes back, then the watch reconnects and later changes are seen', async () => {
    cluster.stop();
    await waitUntil(
      'the registry to notice the API server is gone',
      () => (registry!.runtime().controller.problems().length > 0 ? true : undefined),
      { timeoutMs: 60_000 },
    );
    cluster.start();
    await addNode('after-restart');
    await core.deleteNode({ name: 'flaky' });
    expect(await converged('the registry to match the API server after its restart')).toEqual([
      'after-restart',
    ]);
  });

  it('given the registry restarted mid-churn, then it converges to the API server', async () => {
    const churn = (async () => {
      for (let i = 0; i < 12; i++) {
        await addNode(`churn-${i}`);
        if (i % 3 === 2) await core.deleteNode({ name: `churn-${i - 1}` });
      }
    })();
    await waitUntil(
      'some churn to be admitted',
      async () => ((await registryAdmitted()).length >= 3 ? true : undefined),
      { timeoutMs: 30_000 },
    );
    await registry!.stop();
    registry = undefined;
    await churn; // nodes keep joining and leaving while the registry is down
    await core.deleteNode({ name: 'churn-0' });
    registry = await RegistryHarness.start(env);
    const truth = await converged('the restarted registry to match the API server');
    expect(truth).toHaveLength(1 + 12 - 4 - 1);
    const { pools } = await registry.getCapacity({ region });
    expect(pools).toEqual([
      expect.objectContaining({
        nodes: truth.length,
        totalGpus: truth.length * 4,
        freeGpus: truth.length * 4,
      }),
    ]);
  });
});
