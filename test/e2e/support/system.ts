// The whole StarMiner system for one e2e test file: a fresh contract deployment on the stack's
// anvil, a staked provider of the run's own with kwok GPU nodes joined to one shared region, and
// all seven services started from their builds (`node services/<name>/dist/main.js`) with
// schemas, consumer groups and a job namespace of the run's own, in this file's Kafka namespace
// (stackEnv's KAFKA_TOPIC_PREFIX) and the fresh deployment (DEPLOYMENTS_FILE). Nothing of another
// run is touched: the registry manages only the run's nodes (label selector), the matchmaker only its
// namespace, and every client wallet funded here transacts only on this run's contracts.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpcJs from '@grpc/grpc-js';
import * as k8s from '@kubernetes/client-node';
import { NonceManager, Wallet } from 'ethers';
import { Pool } from 'pg';
import { connectContracts, devWallet } from '@starminer/chain';
import { deploymentNodeLabel } from '@starminer/node-identity';
import { commonV1, pricingV1 } from '@starminer/proto';
import {
  ServiceProcess,
  deployFreshProtocol,
  httpGet,
  regionKubeconfig,
  repoRoot,
  requireStackVar,
  stackEnv,
  waitUntil,
  type FreshProtocol,
} from '@starminer/testing';
import {
  addJoinedNodes,
  joinedPrivateRegion,
  registerAndStake,
} from '../../../services/matchmaker/test/support/protocol-services';

export { repoRoot };

const AGPU = 10n ** 18n;
const SERVICES = [
  'chain-indexer',
  'registry',
  'pricing',
  'reputation',
  'spillover',
  'matchmaker',
  'gateway',
] as const;
type ServiceName = (typeof SERVICES)[number];

export interface SystemOptions {
  /**
   * Dev accounts to fund with AGPU and register as clients on the run's contracts. Take one no
   * other suite transacts with on the shared chain (the matchmaker's tests use 18): 19.
   */
  clientAccounts: number[];
  /** Region the run's GPU nodes join (one of the stack's). */
  region?: string;
  /**
   * Run the region as a private kwok control plane of the run's own instead of joining nodes
   * to the shared one: needed where jobs must run, since a registry of another contract set
   * watching the shared clusters taints nodes its deployment does not know.
   */
  privateRegion?: boolean;
  /** Gateway rate limits (submissions per minute and burst). */
  submitPerMinute?: number;
  submitBurst?: number;
  /** How long the run's signed quotes stay valid. */
  quoteValiditySeconds?: number;
}

export interface System {
  run: string;
  region: string;
  siweDomain: string;
  gatewayUrl: string;
  gatewayGrpc: string;
  protocol: FreshProtocol;
  /** Client wallets (dev accounts) connected to the shared chain, funded with AGPU. */
  clients: Wallet[];
  /** The run's provider: registered, staked, owner of the run's GPU nodes. */
  provider: Wallet;
  ports: Record<ServiceName, { httpPort: number; grpcPort: number }>;
  /** Jobs forwarded to the matchmaker, by its own schema: what a refused request must not add. */
  matchmakerJobCount(): Promise<number>;
  logsOf(name: ServiceName): string[];
  stop(): Promise<void>;
}

/** Started (its ports logged) and ready; generous limits, as the machine may be loaded. */
async function ready(p: ServiceProcess): Promise<{ httpPort: number; grpcPort: number }> {
  const line = await p.waitForLog('started', 240_000);
  const ports = { httpPort: Number(line.httpPort), grpcPort: Number(line.grpcPort) };
  await waitUntil(
    `${p.name} ready (stderr: ${p.stderr.slice(-300)})`,
    async () => ((await httpGet(ports.httpPort, '/readyz')).status === 200 ? true : undefined),
    { timeoutMs: 240_000 },
  );
  return ports;
}

/** Compiles every service and the CLI (incremental, quick when current): the e2e runs builds. */
export function buildServices(): void {
  execFileSync(
    path.join(repoRoot, 'node_modules/.bin/tsc'),
    ['-b', ...SERVICES.map((s) => `services/${s}`), 'cli'],
    { cwd: repoRoot, stdio: 'inherit' },
  );
}

export async function startSystem(o: SystemOptions): Promise<System> {
  buildServices();
  const run = randomUUID().slice(0, 8);
  const u = run.replace(/-/g, '_');
  const region = o.region ?? 'eu-west';
  const siweDomain = `e2e-${run}.starminer.test`;
  const rpc = requireStackVar('CHAIN_RPC_URL');
  // The provider is a fresh wallet granted its stake at deployment: no dev account transacts
  // for it. Dev accounts are used only where a test asks for funded clients.
  const providerKey = Wallet.createRandom();
  const grants = [
    { to: providerKey.address, amount: 10_000n * AGPU },
    ...o.clientAccounts.map((i) => ({ to: devWallet(i).address, amount: 1_000_000n * AGPU })),
  ];
  const protocol = await deployFreshProtocol(rpc, { grants });
  const d = protocol.deployments;
  const clients = o.clientAccounts.map(
    (i) => new Wallet(devWallet(i).privateKey, protocol.provider),
  );
  for (const c of clients)
    await (await connectContracts(d, new NonceManager(c)).providerRegistry.registerClient()).wait();

  const provider = new Wallet(providerKey.privateKey, protocol.provider);
  await protocol.provider.send('anvil_setBalance', [
    provider.address,
    `0x${(100n * AGPU).toString(16)}`,
  ]);
  await registerAndStake(d, provider, [region]);

  const runLabel = 'starminer-e2e/run';
  let kubeconfig = regionKubeconfig(region);
  let nodeSelector = `starminer.io/provider,${runLabel}=${run}`;
  let removeNodes: () => Promise<void>;
  if (o.privateRegion) {
    const privateRegion = await joinedPrivateRegion({
      region,
      provider,
      // A node of each GPU product: pricing quotes a template for the cheapest class that
      // fits it, and the job must find that class here.
      pools: ['H100-80GB', 'A100-80GB', 'A100-40GB', 'L40S', 'RTX-4090'].map((product) => ({
        pool: `e2e-${product.toLowerCase()}`,
        product,
        gpusPerNode: 8,
        nodes: 1,
      })),
    });
    kubeconfig = privateRegion.kubeconfig;
    nodeSelector = 'starminer.io/provider';
    removeNodes = async () => privateRegion.delete();
  } else {
    const nodes = await addJoinedNodes({
      region,
      names: [`e2e-${run}-h100-0`, `e2e-${run}-h100-1`],
      labels: { [runLabel]: run },
      providerKey: provider.privateKey,
      pool: `h100-e2e${run}`,
      gpus: 8,
      deployment: deploymentNodeLabel(d),
    });
    removeNodes = () => nodes.remove();
  }
  const kubeconfigVar = `KUBECONFIG_${region.toUpperCase().replace(/-/g, '_')}`;

  const schemas: Record<ServiceName, string> = Object.fromEntries(
    SERVICES.map((s) => [s, `e2e_${s.replace(/-/g, '_')}_${u}`]),
  ) as Record<ServiceName, string>;
  const namespace = `e2e-${run}`;
  const policy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-pricing-')), 'policy.yaml');
  fs.writeFileSync(
    policy,
    fs
      .readFileSync(path.join(repoRoot, 'services/pricing/config/pricing-policy.yaml'), 'utf8')
      .replace(
        /^quoteValiditySeconds: .*$/m,
        `quoteValiditySeconds: ${o.quoteValiditySeconds ?? 300}`,
      ),
  );
  // stackEnv carries the stack's Kafka brokers and credentials and this file's topic prefix: every
  // service of the run lives in the file's Kafka namespace.
  const base = (name: ServiceName) => ({
    ...stackEnv(),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    DATABASE_SCHEMA: schemas[name],
    CHAIN_RPC_URL: rpc,
    DEPLOYMENTS_FILE: protocol.deploymentsFile,
    REGIONS_FILE: requireStackVar('REGIONS_FILE'),
    STARMINER_REGIONS: region,
    [kubeconfigVar]: kubeconfig,
  });
  const processes: ServiceProcess[] = [];
  const start = (name: ServiceName, env: Record<string, string>) => {
    const p = new ServiceProcess(name, { ...base(name), ...env });
    processes.push(p);
    return p;
  };
  const grpcOf = (p: { grpcPort: number }) => `127.0.0.1:${p.grpcPort}`;
  const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 2 });

  const stop = async () => {
    await Promise.all(
      processes.map(async (p) => {
        p.signal('SIGTERM');
        await Promise.race([p.exited, new Promise((r) => setTimeout(r, 10_000))]);
        await p.kill();
      }),
    );
    if (!o.privateRegion) await deleteNamespace(kubeconfig, namespace).catch(() => undefined);
    await removeNodes().catch(() => undefined);
    for (const s of Object.values(schemas))
      await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await pool.end().catch(() => undefined);
    protocol.provider.destroy();
  };

  try {
    // Settles at the head: the shared anvil mines only on transactions, so a confirmation depth
    // would wait for other runs' traffic.
    const chainIndexer = start('chain-indexer', {
      CHAIN_CONFIRMATIONS: '0',
      CHAIN_POLL_INTERVAL_MS: '200',
      SETTLEMENT_POLL_INTERVAL_MS: '200',
      SETTLER_PRIVATE_KEY: protocol.settlerKey.privateKey,
      SETTLEMENT_CONSUMER_GROUP: `e2e-ci-settle-${run}`,
    });
    const registry = start('registry', {
      KUBE_REGIONS: `${region}=${kubeconfig}`,
      NODE_LABEL_SELECTOR: nodeSelector,
      CONSUMER_GROUP: `e2e-reg-${run}`,
      RESYNC_INTERVAL_MS: '5000',
      PROVIDER_RECHECK_INTERVAL_MS: '1000',
      PROVIDER_MAX_AGE_MS: '0',
    });
    const pricing = start('pricing', {
      PRICING_CONSUMER_GROUP: `e2e-pricing-${run}`,
      PRICING_KEY: protocol.pricingKey.privateKey,
      PRICING_POLICY_FILE: policy,
    });
    const [ci, reg, pr] = await Promise.all([chainIndexer, registry, pricing].map(ready));
    const reputation = start('reputation', {
      REPUTATION_CONSUMER_GROUP: `e2e-rep-${run}`,
      CHAIN_INDEXER_GRPC_URL: grpcOf(ci!),
    });
    const rep = await ready(reputation);
    const matchmaker = start('matchmaker', {
      KAFKA_GROUP_ID: `e2e-mm-${run}`,
      PRICING_GRPC_URL: grpcOf(pr!),
      REPUTATION_GRPC_URL: grpcOf(rep),
      JOB_NAMESPACE: namespace,
      SIMULATION_ANNOTATIONS: 'true',
      TICK_MS: '200',
      RECONCILE_EVERY_MS: '2000',
    });
    const mm = await ready(matchmaker);
    const spillover = start('spillover', {
      KAFKA_GROUP_ID: `e2e-spill-${run}`,
      MATCHMAKER_GRPC_URL: grpcOf(mm),
    });
    const gateway = start('gateway', {
      MATCHMAKER_GRPC_URL: grpcOf(mm),
      PRICING_GRPC_URL: grpcOf(pr!),
      CHAIN_INDEXER_GRPC_URL: grpcOf(ci!),
      GATEWAY_WATCH_GROUP: `e2e-gw-watch-${run}`,
      SIWE_DOMAIN: siweDomain,
      SIWE_CHAIN_ID: String(d.chainId),
      RATE_SUBMIT_PER_MINUTE: String(o.submitPerMinute ?? 60),
      RATE_SUBMIT_BURST: String(o.submitBurst ?? 20),
    });
    const [sp, gw] = await Promise.all([spillover, gateway].map(ready));
    await pricingAnswersQuotes(grpcOf(pr!), region);
    const ports = {
      'chain-indexer': ci!,
      registry: reg!,
      pricing: pr!,
      reputation: rep,
      matchmaker: mm,
      spillover: sp!,
      gateway: gw!,
    };
    return {
      run,
      region,
      siweDomain,
      gatewayUrl: `http://127.0.0.1:${gw!.httpPort}`,
      gatewayGrpc: grpcOf(gw!),
      protocol,
      clients,
      provider,
      ports,
      matchmakerJobCount: async () => {
        const r = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schemas.matchmaker}".jobs`,
        );
        return r.rows[0]!.n;
      },
      logsOf: (name) => processes.find((p) => p.name === name)?.stdoutLines ?? [],
      stop,
    };
  } catch (err) {
    const tails = processes
      .map((p) => `${p.name}: ${p.stderr.slice(-400)} ${p.stdoutLines.slice(-3).join(' ')}`)
      .join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
}

async function deleteNamespace(kubeconfig: string, name: string): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name });
}

/**
 * Waits until pricing quotes within the matchmaker's 5 s deadline. Ready means started; a fresh
 * pricing first replays the market topic of the file's namespace, and until it has caught up a
 * quote can take longer, which the matchmaker reports as unavailable.
 */
async function pricingAnswersQuotes(address: string, region: string): Promise<void> {
  const client = new pricingV1.PricingServiceClient(address, grpcJs.credentials.createInsecure());
  const quote = () =>
    new Promise<boolean>((resolve) =>
      client.quote(
        pricingV1.QuoteRequest.fromPartial({
          jobId: randomUUID(),
          client: '0x000000000000000000000000000000000000dEaD',
          gpu: { product: '', count: 1, minVramMib: 16_384 },
          urgency: commonV1.Urgency.URGENCY_NORMAL,
          regionPreference: [region],
          maxDurationSeconds: 600,
        }),
        new grpcJs.Metadata(),
        { deadline: Date.now() + 4_000 },
        (err) => resolve(!err),
      ),
    );
  try {
    await waitUntil(
      'pricing to quote within 4 s',
      async () => ((await quote()) ? true : undefined),
      {
        timeoutMs: 240_000,
      },
    );
  } finally {
    client.close();
  }
}
