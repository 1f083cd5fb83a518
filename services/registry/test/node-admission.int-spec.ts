import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import {
  catalogueTopics,
  chainEvents,
  encodeEnvelope,
  completeEnvelope,
  type Producer,
  Topics,
} from '@starminer/eventing';
import {
  deploymentNodeLabel,
  nodeIdentityMessage,
  NOT_ADMITTED_TAINT_KEY,
} from '@starminer/node-identity';
import { registryV1 } from '@starminer/proto';
import {
  regionKubeconfig,
  requireStackVar,
  standInDeployment,
  testBus,
  waitUntil,
  withScopes,
} from '@starminer/testing';
import { Wallet } from 'ethers';
import { Pool } from 'pg';
import { joinNode } from '../../../cli/src/commands/node/node-join';
import { bindGpuPod, coreApi, createGpuNode, deleteNodeIfPresent } from './support/kwok-nodes';
import { RegistryHarness } from './support/registry-harness';
import { AGPU, TestChain } from './support/test-chain';

const run = randomBytes(4).toString('hex');
const region = 'us-east';
const kubeconfig = regionKubeconfig(region);
const core = coreApi(kubeconfig);
const schema = `registry_t${run}`;
const runLabel = { 'starminer-test/run': run };
const namespace = `registry-t${run}`;
const chain = new TestChain();
const fresh = () => new Wallet(Wallet.createRandom().privateKey);
const active = fresh();
const unstaked = fresh();
const slashable = fresh();
const created: string[] = [];
let registry: RegistryHarness;
let pool: Pool;
let producer: Producer;
// The file's Kafka namespace: the registry under test reads its chain topic there.
const bus = testBus(`registry-test-${run}`);

const nodeName = (s: string) => `rt-${run}-${s}`;
async function newNode(
  suffix: string,
  spec: Partial<Parameters<typeof createGpuNode>[1]> = {},
): Promise<k8s.V1Node> {
  const name = nodeName(suffix);
  created.push(name);
  return createGpuNode(core, { name, labels: { ...runLabel, ...spec.labels }, ...spec });
}
// Joined to this test's deployment, so a registry of another deployment watching the shared
// cluster (a running demo's) leaves the node alone, as this test's registry leaves theirs.
const join = (
  name: string,
  key: Wallet,
  pool = 'h100-t',
  deployment = deploymentNodeLabel(chain.deployments),
) => joinNode(core, { region, providerKey: key.privateKey, node: name, pool, deployment });
const until = <T>(what: string, probe: () => Promise<T | undefined>) =>
  waitUntil(what, probe, { timeoutMs: 30_000 });
const nodeWhere = (name: string, pred: (n: registryV1.Node) => boolean) =>
  until(`${name} to satisfy the expectation`, async () => {
    const n = await registry.node(region, name);
    return n && pred(n) ? n : undefined;
  });

beforeAll(async () => {
  await chain.deploy([active, unstaked, slashable]);
  for (const w of [active, unstaked, slashable]) await chain.register(w);
  await chain.stake(active, AGPU(500));
  await chain.stake(slashable, AGPU(150));
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 2 });
  producer = bus.producer();
  await producer.connect();
  registry = await RegistryHarness.start({
    schema,
    deploymentsFile: chain.deploymentsFile,
    nodeSelector: `starminer.io/provider,starminer-test/run=${run}`,
    regions: [{ region, kubeconfig }],
  });
});

afterAll(async () => {
  await registry?.stop();
  for (const n of created) await deleteNodeIfPresent(core, n);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool?.end();
  await producer?.disconnect();
  await bus.close();
  chain.destroy();
});

describe('registry admission', () => {
  it('given a node joined with a valid signature by an active provider, then it is admitted, untainted and its GPUs count', async () => {
    const node = await newNode('ok');
    const joined = await join(node.metadata!.name!, active);
    expect(joined.provider).toBe(active.address.toLowerCase());
    const n = await nodeWhere(
      joined.node,
      (x) => x.status === registryV1.NodeStatus.NODE_STATUS_ADMITTED,
    );
    expect(n).toMatchObject({
      verified: true,
      gpuClass: 'H100-80GB',
      allocatableGpus: 8,
      provider: joined.provider,
      pool: 'h100-t',
    });
    const { pools } = await registry.getCapacity({ region, provider: active.address });
    expect(pools).toEqual([
      expect.objectContaining({
        pool: 'h100-t',
        gpuClass: 'H100-80GB',
        totalGpus: 8,
        freeGpus: 8,
        nodes: 1,
      }),
    ]);
    const k = await until('the admission annotation', async () => {
      const got = await core.readNode({ name: joined.node });
      return got.metadata?.annotations?.['starminer.io/admission'] === 'admitted' ? got : undefined;
    });
    expect(k.spec?.taints?.some((t) => t.key === NOT_ADMITTED_TAINT_KEY)).toBe(false);
    const { provider } = await registry.getProvider(active.address);
    expect(provider).toMatchObject({
      active: true,
      registered: true,
      stake: { baseUnits: AGPU(500).toString() },
    });
  });

  it.each([
    ['forged signature', 'forged', 'BadSignature'],
    ['missing signature', 'unsigned', 'MissingSignature'],
    ['inactive provider', 'inactive', 'InsufficientStake'],
    ['labels contradicting capacity', 'mislabelled', 'LabelsContradictCapacity'],
  ])(
    'given a %s, then the node is rejected with the reason and tainted',
    async (_what, kind, reason) => {
      const node = await newNode(kind, kind === 'mislabelled' ? { countLabel: 4 } : {});
      const name = node.metadata!.name!;
      if (kind === 'forged') {
        const provider = active.address.toLowerCase();
        const forged = await fresh().signMessage(
          nodeIdentityMessage({ node: name, uid: node.metadata!.uid!, region, provider }),
        );
        await core.patchNode(
          {
            name,
            body: {
              metadata: {
                labels: {
                  'starminer.io/region': region,
                  'starminer.io/provider': provider,
                  'starminer.io/pool': 'h100-t',
                },
                annotations: { 'starminer.io/node-signature': forged },
              },
            },
          },
          (await import('@kubernetes/client-node')).setHeaderOptions(
            'Content-Type',
            'application/merge-patch+json',
          ),
        );
      } else if (kind === 'unsigned') {
        await core.patchNode(
          {
            name,
            body: {
              metadata: {
                labels: {
                  'starminer.io/region': region,
                  'starminer.io/provider': active.address.toLowerCase(),
                  'starminer.io/pool': 'h100-t',
                },
              },
            },
          },
          (await import('@kubernetes/client-node')).setHeaderOptions(
            'Content-Type',
            'application/merge-patch+json',
          ),
        );
      } else {
        await join(name, kind === 'inactive' ? unstaked : active);
      }
      const n = await nodeWhere(
        name,
        (x) => x.status === registryV1.NodeStatus.NODE_STATUS_REJECTED,
      );
      expect(n.reason).toBe(reason);
      expect(n.message).not.toBe('');
      const k = await until('the not-admitted taint', async () => {
        const got = await core.readNode({ name });
        return got.spec?.taints?.find((t) => t.key === NOT_ADMITTED_TAINT_KEY);
      });
      expect(k).toMatchObject({ value: reason, effect: 'NoSchedule' });
      const { pools } = await registry.getCapacity({ region });
      expect(pools.reduce((s, p) => s + p.nodes, 0)).toBe(1);
    },
  );

  it('given a node joined to another deployment, then this registry leaves it alone: not admitted, rejected or tainted', async () => {
    const other = standInDeployment();
    const foreign = await newNode('foreign');
    const mine = await newNode('mine');
    await join(foreign.metadata!.name!, active, 'h100-t', deploymentNodeLabel(other.deployments));
    await join(mine.metadata!.name!, active);
    // The node of this deployment joined after it is admitted: the registry has seen both.
    await nodeWhere(
      mine.metadata!.name!,
      (x) => x.status === registryV1.NodeStatus.NODE_STATUS_ADMITTED,
    );
    expect(await registry.node(region, foreign.metadata!.name!)).toBeUndefined();
    const k = await core.readNode({ name: foreign.metadata!.name! });
    expect(k.metadata?.annotations?.['starminer.io/admission']).toBeUndefined();
    expect(k.spec?.taints?.some((t) => t.key === NOT_ADMITTED_TAINT_KEY) ?? false).toBe(false);
    // Out of the pool again, so the capacity the next tests count is theirs alone.
    for (const n of [foreign, mine]) await deleteNodeIfPresent(core, n.metadata!.name!);
    await until('the node of this deployment to leave the inventory', async () =>
      (await registry.node(region, mine.metadata!.name!)) ? undefined : true,
    );
  });

  it('given pods bound to an admitted node, then allocated follows them and deleting frees it', async () => {
    const name = nodeName('ok');
    await bindGpuPod(core, namespace, 'p1', name, 3);
    await bindGpuPod(core, namespace, 'p2', name, 2);
    await nodeWhere(name, (x) => x.allocatedGpus === 5);
    const { pools } = await registry.getCapacity({ region, provider: active.address });
    expect(pools[0]).toMatchObject({ allocatedGpus: 5, freeGpus: 3 });
    await core.deleteNamespacedPod({ name: 'p1', namespace, gracePeriodSeconds: 0 });
    await nodeWhere(name, (x) => x.allocatedGpus === 2);
    await core.deleteNamespacedPod({ name: 'p2', namespace, gracePeriodSeconds: 0 });
    await nodeWhere(name, (x) => x.allocatedGpus === 0);
  });

  it('given a provider slashed (chain event), then its nodes are withdrawn within seconds', async () => {
    const node = await newNode('slashed');
    const name = node.metadata!.name!;
    await join(name, slashable);
    await nodeWhere(name, (x) => x.status === registryV1.NodeStatus.NODE_STATUS_ADMITTED);
    const { log, bonded } = await chain.slash(slashable.address, AGPU(20));
    expect(bonded).toBe(AGPU(130)); // still above the minimum: only the pending slash deactivates
    // Published as the chain-indexer of the test's deployment would: its origin, its chain, and
    // the log of its Staking contract.
    const deployment = withScopes(chain.deployments, chain.deploymentsFile);
    expect(log.address.toLowerCase()).toBe(chain.deployments.contracts.staking.toLowerCase());
    const event = {
      type: 'Slashed' as const,
      log: {
        chainId: String(chain.deployments.chainId),
        blockNumber: String(log.blockNumber),
        blockHash: log.blockHash,
        transactionHash: log.transactionHash,
        transactionIndex: log.transactionIndex,
        logIndex: log.index,
        contract: log.address.toLowerCase(),
      },
      provider: slashable.address.toLowerCase(),
      amount: { baseUnits: AGPU(20).toString() },
      evidenceHash: '0x' + '11'.repeat(32),
      jobId: '',
      totalStaked: { baseUnits: bonded.toString() },
    };
    const env = completeEnvelope(
      chainEvents,
      deployment.as('chain-indexer').origin,
      event.provider,
      0,
      event,
    );
    // The same slash as another deployment's indexer would announce it, ahead of the real one on
    // the provider's partition: the registry refuses it (its own deployment's slash still counts).
    const elsewhere = standInDeployment();
    const forged = completeEnvelope(
      chainEvents,
      elsewhere.as('chain-indexer').origin,
      event.provider,
      0,
      { ...event, log: { ...event.log, contract: elsewhere.deployments.contracts.staking } },
    );
    const refusedBefore = (await registry.refused()).foreign_deployment ?? 0;
    await bus.ensureTopics(catalogueTopics([Topics.chain]));
    await producer.send(
      [forged, env].map((e) => ({
        topic: Topics.chain,
        key: event.provider,
        value: encodeEnvelope(chainEvents, e),
        headers: {},
      })),
    );
    const q = await nodeWhere(
      name,
      (x) => x.status === registryV1.NodeStatus.NODE_STATUS_QUARANTINED,
    );
    expect(q.reason).toBe('ProviderSlashed');
    expect((await registry.getCapacity({ provider: slashable.address })).pools).toEqual([]);
    expect((await registry.getProvider(slashable.address)).provider).toMatchObject({
      active: false,
      slashPending: true,
      inactiveReason: 'SlashPending',
    });
    // The forged one was before it on the same partition: counted as refused by then.
    expect((await registry.refused()).foreign_deployment).toBe(refusedBefore + 1);
  });

  it('given a node is deleted, then it leaves the inventory, and every change went out through the outbox', async () => {
    const name = nodeName('ok');
    await core.deleteNode({ name });
    await until('the node to leave', async () =>
      (await registry.node(region, name)) ? undefined : true,
    );
    const { rows } = await pool.query<{ type: string; published: boolean }>(
      `SELECT headers->>'event-type' AS type, published_at IS NOT NULL AS published FROM ${schema}.outbox WHERE message_key = $1 ORDER BY id`,
      [`${region}/${name}`],
    );
    expect(rows.map((r) => r.type)).toEqual(['NodeJoined', 'NodeLeft']);
    await until('the outbox to be published', async () => {
      const { rows: left } = await pool.query(
        `SELECT 1 FROM ${schema}.outbox WHERE published_at IS NULL`,
      );
      return left.length === 0 ? true : undefined;
    });
    const types = (
      await pool.query<{ type: string }>(
        `SELECT DISTINCT headers->>'event-type' AS type FROM ${schema}.outbox`,
      )
    ).rows.map((r) => r.type);
    expect(types).toEqual(
      expect.arrayContaining(['NodeRejected', 'ProviderActivated', 'ProviderDeactivated']),
    );
    // Every event is stamped as the registry's, of the test's deployment.
    const origins = await pool.query<{ deployment: string; producer: string }>(
      `SELECT DISTINCT headers->>'deployment-id' AS deployment, headers->>'producer' AS producer FROM ${schema}.outbox`,
    );
    expect(origins.rows).toEqual([
      {
        deployment: withScopes(chain.deployments, chain.deploymentsFile).deploymentId,
        producer: 'registry',
      },
    ]);
  });
});
