import * as grpc from '@grpc/grpc-js';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import {
  catalogueTopics,
  completeEnvelope,
  encodeEnvelope,
  envelopeHeaders,
  newEventId,
  starminerRegistry,
  type EventOrigin,
  type StarminerEvent,
} from '@starminer/eventing';
import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { matchmakerV1, pricingV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import {
  regionKubeconfig,
  requireStackVar,
  stackEnv,
  stackRegions,
  standInDeployment,
  testBus,
  waitForStartup,
  type StandIn,
} from '@starminer/testing';
import { loadConfig } from '../../src/config';
import { matchmakerGrpc } from '../../src/api/matchmaker.grpc';
import { MatchmakerRuntime } from '../../src/infra/runtime';
import { MatchmakerModule } from '../../src/matchmaker.module';

let fileDeployment: StandIn | undefined;

/**
 * This test file's stand-in deployment (jest gives each file its own module registry, so each
 * file has its own): the deployment the harness's matchmakers run in and its EventPublishers
 * publish in, unless a test gives them another (e.g. a fresh protocol's, via `withScopes`).
 */
export function harnessDeployment(): StandIn {
  fileDeployment ??= standInDeployment();
  return fileDeployment;
}

/** Price every test quote carries, in base units per GPU-second: above any tier price pricing publishes. */
export const TEST_PRICE = 10n ** 16n;

/**
 * Stand-in for the pricing service's Quote RPC (served over real gRPC): one offer in the
 * client's first preferred region at TEST_PRICE. Quotes expire after `ttlSeconds`.
 */
export async function startQuoteServer(
  ttlSeconds = 600,
): Promise<{ address: string; stop(): Promise<void> }> {
  const server = new grpc.Server();
  const impl: Partial<pricingV1.PricingServiceServer> = {
    quote: (call, cb) => {
      const r = call.request;
      const gpus = BigInt(r.gpu?.count ?? 1);
      const total = TEST_PRICE * gpus * BigInt(r.maxDurationSeconds);
      const cls = resolveGpuClass(r.gpu?.product ?? '');
      const region = r.regionPreference[0] ?? 'us-east';
      cb(null, {
        result: {
          $case: 'offers',
          value: {
            offers: [
              {
                tier: {
                  gpuClass: cls === 'unknown' ? 'H100-80GB' : cls,
                  region,
                  urgency: r.urgency,
                },
                pricePerGpuSecond: { baseUnits: TEST_PRICE.toString() },
                maxTotal: { baseUnits: total.toString() },
                estimatedStart: undefined,
                freeGpus: 0,
                quote: {
                  jobId: r.jobId,
                  client: r.client,
                  pricePerGpuSecond: { baseUnits: TEST_PRICE.toString() },
                  maxGpuSeconds: String(gpus * BigInt(r.maxDurationSeconds)),
                  tier: `${cls}/${region}`,
                  maxDuration: String(r.maxDurationSeconds),
                  expiry: String(Math.floor(Date.now() / 1000) + ttlSeconds),
                  nonce: `q-${r.jobId}`,
                  chainId: '31337',
                  escrow: '0x0000000000000000000000000000000000000000',
                  signer: '0x0000000000000000000000000000000000000001',
                  signature: Buffer.alloc(65),
                },
              },
            ],
          },
        },
      });
    },
  };
  server.addService(pricingV1.PricingServiceService, impl as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? rej(e) : res(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise((res) => server.tryShutdown(() => res())),
  };
}

/** Chain log fields of a mirrored chain event (EscrowFunded's `log`). */
export interface ChainLog {
  chainId: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: number;
  logIndex: number;
  contract: string;
}

/**
 * Publishes events on Kafka, in this test file's namespace, as their owning services would
 * (registry, pricing, chain-indexer) in `deployment` (default: the file's stand-in): each envelope
 * names the deployment and the catalogue's producer of its type, each chain event the
 * deployment's chain and the contract that emits it.
 */
export class EventPublisher {
  private readonly bus = testBus(`mm-test-${randomUUID().slice(0, 8)}`);
  private readonly producer = this.bus.producer();
  private readonly registry = starminerRegistry();

  constructor(readonly deployment: StandIn = harnessDeployment()) {}

  /** Creates the catalogue's topics in the namespace (a consumer may not have yet) and connects. */
  async connect(): Promise<void> {
    await this.bus.ensureTopics(catalogueTopics());
    await this.producer.connect();
  }

  /**
   * Publishes the events in order; returns their event ids. `as` overrides the origin the
   * envelopes claim (a test forging another deployment's or another producer's events).
   */
  async publish(
    aggregateId: string,
    events: StarminerEvent[],
    as: Partial<EventOrigin> = {},
  ): Promise<string[]> {
    const envelopes = events.map((event) =>
      completeEnvelope(
        this.registry,
        {
          deploymentId: this.deployment.deploymentId,
          producer: this.registry.definition(event.type).producer,
          ...as,
        },
        aggregateId,
        0,
        event,
        { eventId: newEventId() },
      ),
    );
    await this.producer.send(
      envelopes.map((env) => ({
        topic: this.registry.topicOf(env.type),
        key: aggregateId,
        value: encodeEnvelope(this.registry, env),
        headers: envelopeHeaders(env),
      })),
    );
    return envelopes.map((env) => env.eventId);
  }

  /**
   * NodeJoined for every GPU node of the regions' clusters (the stack's, unless given), and
   * ProviderActivated for their providers.
   */
  async announceClusterNodes(
    regions: Array<{ region: string; kubeconfig: string }> = stackRegions().map((region) => ({
      region,
      kubeconfig: regionKubeconfig(region),
    })),
  ): Promise<void> {
    const providers = new Set<string>();
    const tiers = new Set<string>();
    for (const { region, kubeconfig } of regions) {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfig);
      const nodes = await kc
        .makeApiClient(k8s.CoreV1Api)
        .listNode({ labelSelector: 'starminer.io/pool' });
      for (const n of nodes.items) {
        const l = n.metadata!.labels!;
        providers.add(l['starminer.io/provider']!);
        tiers.add(`${l['nvidia.com/gpu.product']!}|${region}`);
        await this.publish(`${region}/${n.metadata!.name}`, [
          {
            type: 'NodeJoined',
            region,
            node: n.metadata!.name!,
            provider: l['starminer.io/provider']!,
            pool: l['starminer.io/pool']!,
            gpus: {
              product: l['nvidia.com/gpu.product']!,
              count: Number(n.status!.allocatable!['nvidia.com/gpu']),
              memoryMib: Number(l['nvidia.com/gpu.memory']),
            },
          },
        ]);
      }
    }
    for (const p of providers) {
      await this.publish(p, [
        { type: 'ProviderActivated', provider: p, staked: { baseUnits: '1' }, cause: undefined },
      ]);
    }
    // A price for every tier of those nodes, below what the test quotes carry, as pricing
    // publishes them: matching must not depend on what other suites left on the market topic.
    for (const tier of tiers) {
      for (const urgency of [1, 2, 3, 4]) {
        await this.publish(`${tier}/${urgency}`, [
          {
            type: 'PriceUpdated',
            tier: {
              gpuProduct: tier.split('|')[0]!,
              region: tier.split('|')[1]!,
              urgency,
            },
            previousPricePerGpuSecond: undefined,
            pricePerGpuSecond: { baseUnits: (TEST_PRICE / 2n).toString() },
            queuedGpus: 0,
            freeGpus: 0,
            strategy: 'test',
          },
        ]);
      }
    }
  }

  /** The log of an event the deployment's JobEscrow emitted, on its chain. */
  escrowLog(log: Partial<ChainLog> = {}): ChainLog {
    const d = this.deployment.deployments;
    return {
      chainId: String(d.chainId),
      blockNumber: '1',
      blockHash: '0x',
      transactionHash: '0x',
      transactionIndex: 0,
      logIndex: 0,
      contract: d.contracts.jobEscrow,
      ...log,
    };
  }

  /**
   * EscrowFunded as the chain-indexer publishes it once the deposit has its confirmations;
   * returns its event id (what a ChainReorged voiding it names). `log` overrides fields of the
   * escrow's log (a test forging one from another chain or contract).
   */
  async fund(
    jobId: string,
    client: string,
    quoteId: string,
    deposit: bigint,
    log: Partial<ChainLog> = {},
  ): Promise<string> {
    const [id] = await this.publish(jobId, [
      {
        type: 'EscrowFunded',
        log: this.escrowLog(log),
        jobId,
        client,
        deposit: { baseUnits: deposit.toString() },
        quoteId,
        reclaimAfter: undefined,
      },
    ]);
    return id!;
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
    await this.bus.close();
  }
}

export interface Matchmaker {
  service: RunningService;
  runtime: MatchmakerRuntime;
  client: matchmakerV1.MatchmakerServiceClient;
  namespace: string;
  /** The deployment it runs in. */
  deployment: StandIn;
  /** Its Prometheus exposition (GET /metrics). */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the matchmaker in this process against the local stack, in this test file's Kafka
 * namespace, with its own schema, group and job namespace, in `deployment` (default: the file's
 * stand-in, the one `new EventPublisher()` publishes in). A DEPLOYMENTS_FILE in `extraEnv` wins
 * over `deployment`'s file: give `deployment` instead, so `Matchmaker.deployment` is right.
 */
export async function startMatchmaker(opts: {
  pricingAddress: string;
  runId: string;
  extraEnv?: Record<string, string>;
  deployment?: StandIn;
}): Promise<Matchmaker> {
  const namespace = `mm-${opts.runId}`;
  const deployment = opts.deployment ?? harnessDeployment();
  const env: Record<string, string> = {
    ...stackEnv(),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    DATABASE_SCHEMA: `mm_${opts.runId.replace(/-/g, '_')}`,
    KAFKA_GROUP_ID: `mm-${opts.runId}`,
    DEPLOYMENTS_FILE: deployment.file,
    REGIONS_FILE: requireStackVar('REGIONS_FILE'),
    STARMINER_REGIONS: stackRegions().join(','),
    PRICING_GRPC_URL: opts.pricingAddress,
    // Neutral scores unless a test brings its own reputation service: a service listening on the
    // default port (the demo's) must not steer these tests' matching.
    REPUTATION_GRPC_URL: '127.0.0.1:1',
    JOB_NAMESPACE: namespace,
    SIMULATION_ANNOTATIONS: 'true',
    TICK_MS: '200',
    RECONCILE_EVERY_MS: '2000',
    LOG_LEVEL: 'warn',
    ...opts.extraEnv,
  };
  // A region's kubeconfig given in extraEnv (a private region under a stack name) wins.
  for (const r of stackRegions())
    env[`KUBECONFIG_${r.toUpperCase().replace(/-/g, '_')}`] ??= regionKubeconfig(r);
  const config = loadConfig(env);
  const logger = new JsonLogger({ service: 'matchmaker', level: 'warn' });
  const service = await startService(
    {
      name: 'matchmaker',
      loadConfig: () => config,
      module: MatchmakerModule,
      grpcServices: (app) => [matchmakerGrpc(app.get(MatchmakerRuntime))],
    },
    config,
    logger,
  );
  await waitForStartup(service.httpPort);
  const runtime = service.app.get(MatchmakerRuntime);
  const client = new matchmakerV1.MatchmakerServiceClient(
    `127.0.0.1:${service.grpcPort}`,
    grpc.credentials.createInsecure(),
  );
  return {
    service,
    runtime,
    client,
    namespace,
    deployment,
    metrics: async () => {
      const r = await fetch(`http://127.0.0.1:${service.httpPort}/metrics`);
      if (r.status !== 200) throw new Error(`GET /metrics answered ${r.status}`);
      return r.text();
    },
    stop: async () => {
      client.close();
      await service.stop('test done');
    },
  };
}

/** Promise form of a unary call. */
export function call<Req, Res>(
  fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(req, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

/** Deletes a test namespace in every region (its Jobs and pods go with it). */
export async function deleteNamespace(namespace: string): Promise<void> {
  for (const region of stackRegions()) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(regionKubeconfig(region));
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
  }
}

export function batchApi(region: string): k8s.BatchV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(regionKubeconfig(region));
  return kc.makeApiClient(k8s.BatchV1Api);
}
