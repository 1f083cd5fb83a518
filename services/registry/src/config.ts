import {
  type ConfigOf,
  defineConfig,
  type EnvVar,
  int,
  kafkaConfigSchema,
  serviceConfigSchema,
  str,
  url,
} from '@starminer/service-kit';

const REGION = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `us-east=/path/us-east.yaml,eu-west=/path/eu-west.yaml`: one kubeconfig per region. */
function kubeRegions(): EnvVar<Array<{ region: string; kubeconfig: string }>> {
  return {
    accepted:
      'comma-separated <region>=<kubeconfig path> pairs, region names in lower-case DNS form',
    parse: (raw) => {
      if (!raw) return { ok: false, problem: 'is required but not set' };
      const pairs = raw
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      const out: Array<{ region: string; kubeconfig: string }> = [];
      for (const p of pairs) {
        const [region, file] = p.split('=', 2).map((s) => s?.trim());
        if (!region || !file || !REGION.test(region))
          return { ok: false, problem: `entry '${p}' is not <region>=<kubeconfig path>` };
        if (out.some((o) => o.region === region))
          return { ok: false, problem: `region ${region} is given twice` };
        out.push({ region, kubeconfig: file });
      }
      return out.length ? { ok: true, value: out } : { ok: false, problem: 'names no region' };
    },
  };
}

const schema = {
  ...serviceConfigSchema({ service: 'registry', httpPort: 8083, grpcPort: 9093 }),
  /** The regional clusters whose nodes the registry watches. */
  KUBE_REGIONS: kubeRegions(),
  /** Nodes the registry manages: those claiming a provider (tests narrow it to their own). */
  NODE_LABEL_SELECTOR: str({
    default: 'starminer.io/provider',
    describe: 'a Kubernetes label selector',
  }),
  /** JSON-RPC endpoint for read-only calls to ProviderRegistry and Staking. */
  CHAIN_RPC_URL: url({ protocols: ['http', 'https'] }),
  /** Deployments file written by the contracts' deploy command: where the contracts are. */
  DEPLOYMENTS_FILE: str({
    describe: 'path of the deployments JSON written by `npm run deploy -w @starminer/contracts`',
  }),
  /** Brokers, the deployment's topic prefix and the registry's SASL principal. */
  ...kafkaConfigSchema(),
  /** Topic of the chain-indexer's events (logical: the bus puts it under KAFKA_TOPIC_PREFIX). */
  CHAIN_TOPIC: str({ default: 'starminer.chain.v1' }),
  /** Consumer group on CHAIN_TOPIC (logical, like the topic). */
  CONSUMER_GROUP: str({ default: 'registry' }),
  /** Every node of every region is reconciled again this often, whatever the watches said. */
  RESYNC_INTERVAL_MS: int({ default: 60_000, min: 100, max: 3_600_000 }),
  /** Providers with nodes are re-read on chain this often (a safety net under the chain events). */
  PROVIDER_RECHECK_INTERVAL_MS: int({ default: 15_000, min: 100, max: 3_600_000 }),
  /** A provider's mirrored state older than this is re-read on chain before a node is admitted. */
  PROVIDER_MAX_AGE_MS: int({ default: 10_000, min: 0, max: 3_600_000 }),
  /** Nodes reconciled at the same time per region. */
  RECONCILE_CONCURRENCY: int({ default: 8, min: 1, max: 256 }),
};

export type RegistryConfig = ConfigOf<typeof schema>;

const parse = defineConfig('registry', schema);

/** Validates the environment at boot. The only place the registry service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RegistryConfig {
  return parse(env);
}
