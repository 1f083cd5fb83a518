// The real pricing, registry and chain-indexer services, started from their builds
// (`node services/<name>/dist/main.js`) against the local stack and a contract set of the test's
// own, with schemas and consumer groups of their own; plus a region of the test's own (a private
// kwok control plane under a region name of the regions file) whose GPU nodes belong to the
// test's provider and are joined the way a node operator joins them. A private region keeps the
// nodes away from any other registry watching the shared clusters (a registry of another
// contract set would taint them as not admitted).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { NonceManager, type Wallet } from 'ethers';
import { connectContracts, toBytes32, type Deployments } from '@starminer/chain';
import {
  PrivateKwokRegion,
  regionKubeconfig,
  requireStackVar,
  stackEnv,
  waitUntil,
  type PrivatePool,
  ServiceProcess,
  httpGet,
  repoRoot,
} from '@starminer/testing';
import { joinNode } from '../../../../cli/src/commands/node/node-join';
import {
  coreApi,
  createGpuNode,
  deleteNodeIfPresent,
} from '../../../registry/test/support/kwok-nodes';

export interface ProtocolServices {
  pricingGrpc: string;
  processes: ServiceProcess[];
  schemas: string[];
  stop(): Promise<void>;
}

async function ready(p: ServiceProcess): Promise<{ httpPort: number; grpcPort: number }> {
  const ports = await p.started();
  await waitUntil(
    `${p.name} ready (stderr: ${p.stderr.slice(-300)})`,
    async () => ((await httpGet(ports.httpPort, '/readyz')).status === 200 ? true : undefined),
    { timeoutMs: 90_000 },
  );
  return ports;
}

/**
 * Starts chain-indexer (follower and settlement signer), registry (managing the GPU nodes of
 * `regions`) and pricing (quotes signed by `pricingKey`, valid `quoteValiditySeconds`).
 * The builds must be current: `npx tsc -b tsconfig.build.json`.
 */
export async function startProtocolServices(o: {
  run: string;
  deploymentsFile: string;
  pricingKey: Wallet;
  settlerKey: Wallet;
  regions: Array<{ region: string; kubeconfig: string }>;
  quoteValiditySeconds: number;
}): Promise<ProtocolServices> {
  for (const name of ['chain-indexer', 'registry', 'pricing']) {
    const main = path.join(repoRoot, 'services', name, 'dist/main.js');
    if (!fs.existsSync(main))
      throw new Error(`${main} is missing: build first (npx tsc -b tsconfig.build.json)`);
  }
  const u = o.run.replace(/-/g, '_');
  // The stack's endpoints, this test file's Kafka namespace (KAFKA_TOPIC_PREFIX) and its regions
  // file (REGIONS_FILE, which lists the stack's region names a private region serves as), in
  // the test's deployment: a matchmaker started with `withScopes` of the same contracts hears them.
  const base = {
    ...stackEnv(),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    // info: the "started" line carries the ports the services bound.
    LOG_LEVEL: 'info',
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    CHAIN_RPC_URL: requireStackVar('CHAIN_RPC_URL'),
    REGIONS_FILE: requireStackVar('REGIONS_FILE'),
    DEPLOYMENTS_FILE: o.deploymentsFile,
  };
  const policy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mm-pricing-')), 'policy.yaml');
  fs.writeFileSync(
    policy,
    fs
      .readFileSync(path.join(repoRoot, 'services/pricing/config/pricing-policy.yaml'), 'utf8')
      .replace(/^quoteValiditySeconds: .*$/m, `quoteValiditySeconds: ${o.quoteValiditySeconds}`),
  );
  const schemas = [`ci_${u}`, `reg_${u}`, `pricing_${u}`];
  const processes = [
    // Settles at the head: the shared anvil mines only on transactions, so a confirmation depth
    // would wait for other suites' traffic (the depth itself is the chain-indexer's own tests').
    new ServiceProcess('chain-indexer', {
      ...base,
      DATABASE_SCHEMA: schemas[0]!,
      CHAIN_CONFIRMATIONS: '0',
      CHAIN_POLL_INTERVAL_MS: '200',
      SETTLEMENT_POLL_INTERVAL_MS: '200',
      SETTLER_PRIVATE_KEY: o.settlerKey.privateKey,
      SETTLEMENT_CONSUMER_GROUP: `ci-settle-${o.run}`,
    }),
    new ServiceProcess('registry', {
      ...base,
      DATABASE_SCHEMA: schemas[1]!,
      KUBE_REGIONS: o.regions.map((r) => `${r.region}=${r.kubeconfig}`).join(','),
      NODE_LABEL_SELECTOR: 'starminer.io/provider',
      CONSUMER_GROUP: `reg-${o.run}`,
      RESYNC_INTERVAL_MS: '5000',
      PROVIDER_RECHECK_INTERVAL_MS: '1000',
      PROVIDER_MAX_AGE_MS: '0',
    }),
    new ServiceProcess('pricing', {
      ...base,
      DATABASE_SCHEMA: schemas[2]!,
      PRICING_CONSUMER_GROUP: `pricing-${o.run}`,
      PRICING_KEY: o.pricingKey.privateKey,
      PRICING_POLICY_FILE: policy,
    }),
  ];
  const stop = async () => {
    await Promise.all(
      processes.map(async (p) => {
        p.signal('SIGTERM');
        await Promise.race([p.exited, new Promise((r) => setTimeout(r, 10_000))]);
        await p.kill();
      }),
    );
  };
  try {
    const ports = await Promise.all(processes.map(ready));
    return { pricingGrpc: `127.0.0.1:${ports[2]!.grpcPort}`, processes, schemas, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Registers the wallet as a provider in `regions` and stakes the minimum, on the test's contracts. */
export async function registerAndStake(
  d: Deployments,
  wallet: Wallet,
  regions: string[],
): Promise<void> {
  const c = connectContracts(d, new NonceManager(wallet));
  const stake = BigInt(d.parameters.minStake);
  await (
    await c.providerRegistry.registerProvider('https://example.test/p', regions.map(toBytes32))
  ).wait();
  await (await c.agpu.approve(d.contracts.staking, stake)).wait();
  await (await c.staking.stake(stake)).wait();
}

/**
 * A private kwok region named `region` with the given pools of the provider's GPU nodes, each
 * joined with the node operator's command (signed by the provider key).
 */
export async function joinedPrivateRegion(o: {
  region: string;
  provider: Wallet;
  pools: PrivatePool[];
}): Promise<PrivateKwokRegion> {
  const r = await PrivateKwokRegion.create({
    region: o.region,
    provider: o.provider.address.toLowerCase(),
    pools: o.pools,
  });
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(r.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const nodes = await core.listNode({ labelSelector: 'starminer.io/pool' });
    for (const n of nodes.items)
      await joinNode(core, {
        region: o.region,
        providerKey: o.provider.privateKey,
        node: n.metadata!.name!,
      });
    return r;
  } catch (err) {
    r.delete();
    throw err;
  }
}

/**
 * kwok GPU nodes of the test's provider in a shared region, joined with the operator's command
 * and labelled with the test's deployment (`deploymentNodeLabel`), so the registry of another
 * deployment watching the shared clusters (a running demo's) leaves them alone.
 */
export async function addJoinedNodes(o: {
  region: string;
  names: string[];
  labels: Record<string, string>;
  providerKey: string;
  pool: string;
  gpus: number;
  /** `deploymentNodeLabel` of the test's deployment. */
  deployment: string;
}): Promise<{ remove(): Promise<void> }> {
  const core = coreApi(regionKubeconfig(o.region));
  const remove = async () => {
    for (const n of o.names) await deleteNodeIfPresent(core, n);
  };
  try {
    for (const name of o.names) {
      await createGpuNode(core, { name, labels: o.labels, gpus: o.gpus });
      await joinNode(core, {
        region: o.region,
        providerKey: o.providerKey,
        node: name,
        pool: o.pool,
        deployment: o.deployment,
      });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { remove };
}
