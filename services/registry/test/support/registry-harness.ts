import { credentials, type ServiceError } from '@grpc/grpc-js';
import { registryV1 } from '@starminer/proto';
import { JsonLogger, Metrics, type RunningService, startService } from '@starminer/service-kit';
import { stackEnv, waitForStartup } from '@starminer/testing';
import { loadConfig } from '../../src/config';
import { RegistryRuntime } from '../../src/infra/registry-runtime';
import { registryGrpcService } from '../../src/api/registry.grpc';
import { RegistryModule } from '../../src/registry.module';

export interface HarnessEnv {
  schema: string;
  /** The test's deployment: the registry stamps its events with it and reads only its chain events. */
  deploymentsFile: string;
  nodeSelector: string;
  regions: Array<{ region: string; kubeconfig: string }>;
  extra?: Record<string, string>;
}

/**
 * The registry service started in this process, as main.ts starts it, plus a gRPC client. It runs
 * in the test file's Kafka namespace (stackEnv's KAFKA_TOPIC_PREFIX), so its chain topic and
 * consumer group keep their logical names.
 */
export class RegistryHarness {
  private constructor(
    readonly running: RunningService,
    readonly client: registryV1.RegistryServiceClient,
  ) {}

  static async start(e: HarnessEnv): Promise<RegistryHarness> {
    const config = loadConfig({
      ...stackEnv(),
      DATABASE_SCHEMA: e.schema,
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'warn',
      KUBE_REGIONS: e.regions.map((r) => `${r.region}=${r.kubeconfig}`).join(','),
      NODE_LABEL_SELECTOR: e.nodeSelector,
      DEPLOYMENTS_FILE: e.deploymentsFile,
      RESYNC_INTERVAL_MS: '5000',
      PROVIDER_RECHECK_INTERVAL_MS: '1000',
      PROVIDER_MAX_AGE_MS: '0',
      ...e.extra,
    });
    const running = await startService(
      {
        name: 'registry',
        loadConfig: () => config,
        module: RegistryModule,
        grpcServices: (app) => [registryGrpcService(app.get(RegistryRuntime).queries)],
      },
      config,
      new JsonLogger({ service: 'registry', level: 'warn' }),
    );
    await waitForStartup(running.httpPort);
    const client = new registryV1.RegistryServiceClient(
      `127.0.0.1:${running.grpcPort}`,
      credentials.createInsecure(),
    );
    return new RegistryHarness(running, client);
  }

  runtime(): RegistryRuntime {
    return this.running.app.get(RegistryRuntime);
  }

  /** Events its consumer refused, by reason (`starminer_events_refused_total`). */
  async refused(): Promise<Record<string, number>> {
    const { values } = await this.running.app.get(Metrics).eventsRefused.get();
    const out: Record<string, number> = {};
    for (const v of values) {
      const reason = String(v.labels.reason);
      out[reason] = (out[reason] ?? 0) + v.value;
    }
    return out;
  }

  private call<Req, Res>(
    fn: (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown,
    req: Req,
  ): Promise<Res> {
    return new Promise((resolve, reject) =>
      fn.call(this.client, req, (err, res) => (err ? reject(err) : resolve(res))),
    );
  }

  getCapacity(
    req: Partial<registryV1.GetCapacityRequest>,
  ): Promise<registryV1.GetCapacityResponse> {
    return this.call(this.client.getCapacity, registryV1.GetCapacityRequest.fromPartial(req));
  }

  listNodes(req: Partial<registryV1.ListNodesRequest>): Promise<registryV1.ListNodesResponse> {
    return this.call(this.client.listNodes, registryV1.ListNodesRequest.fromPartial(req));
  }

  getProvider(address: string): Promise<registryV1.GetProviderResponse> {
    return this.call(this.client.getProvider, { address });
  }

  async node(region: string, name: string): Promise<registryV1.Node | undefined> {
    const { nodes } = await this.listNodes({ region, pageSize: 5000 });
    return nodes.find((n) => n.name === name);
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.running.stop('test');
  }
}
