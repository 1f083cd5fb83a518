import {
  ConfigError,
  type ConfigIssue,
  type ConfigOf,
  consumerGroup,
  defineConfig,
  deploymentsFile,
  int,
  kafkaConfigSchema,
  oneOf,
  serviceConfigSchema,
  str,
} from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'matchmaker', httpPort: 8081, grpcPort: 9091 }),
  /** Brokers, the deployment's topic prefix and the matchmaker's SASL principal. */
  ...kafkaConfigSchema(),
  /**
   * Consumer group of the matchmaker's Kafka consumers (tests give each run its own): a logical
   * name, put under KAFKA_TOPIC_PREFIX by the bus.
   */
  KAFKA_GROUP_ID: consumerGroup('matchmaker'),
  /**
   * The deployment the matchmaker belongs to (chain id and contracts): its events are stamped with
   * it, and only events of it (chain events only from its contracts) are applied.
   */
  DEPLOYMENTS_FILE: deploymentsFile(),
  /** Regions served (and their latency matrix): node and price events of other regions are dropped. */
  REGIONS_FILE: str({ describe: 'path of the regions file (regions and latency matrix)' }),
  /** Regions to dispatch to: each needs KUBECONFIG_<REGION> (us-east -> KUBECONFIG_US_EAST). */
  STARMINER_REGIONS: str({
    pattern: /^[a-z0-9-]+(,[a-z0-9-]+)*$/,
    describe: 'comma-separated region names',
  }),
  /** host:port of the pricing service's gRPC API. */
  PRICING_GRPC_URL: str({
    default: '127.0.0.1:9092',
    describe: 'host:port of the pricing gRPC API',
  }),
  /** host:port of the reputation service's gRPC API (provider scores for matching). */
  REPUTATION_GRPC_URL: str({
    default: '127.0.0.1:9094',
    pattern: /^[^\s:/]+:\d{1,5}$/,
    describe: 'host:port of the reputation gRPC API',
  }),
  /** How long fetched reputation scores are used before ListScores is called again. */
  REPUTATION_CACHE_TTL_MS: int({ default: 5_000, min: 100, max: 600_000 }),
  /** Namespace the Kubernetes Jobs are created in, in every region. */
  JOB_NAMESPACE: str({ default: 'starminer-jobs', pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/ }),
  /** Optional JSON file with the matching weights document (version 1); defaults otherwise. */
  MATCHING_WEIGHTS_FILE: str({ default: '-' }),
  /** Pass a job's simulation block to kwok as pod annotations. Local clusters only. */
  SIMULATION_ANNOTATIONS: oneOf(['true', 'false'], 'false'),
  /** How often the queue is matched, deadlines checked and clusters reconciled. */
  TICK_MS: int({ default: 500, min: 50, max: 60_000 }),
  RECONCILE_EVERY_MS: int({ default: 15_000, min: 500, max: 600_000 }),
  /** How long a job must have been off the cluster before its Kubernetes Job counts as an orphan. */
  ORPHAN_GRACE_MS: int({ default: 30_000, min: 0, max: 3_600_000 }),
  /** Longest wait for one Kubernetes API call before it counts as failed (and is retried later). */
  KUBE_REQUEST_TIMEOUT_MS: int({ default: 30_000, min: 100, max: 600_000 }),
  JOB_TTL_SECONDS_AFTER_FINISHED: int({ default: 3_600, min: 0, max: 604_800 }),
  MAX_JOB_DURATION_SECONDS: int({ default: 7 * 86_400, min: 1, max: 31 * 86_400 }),
  MAX_GPUS_PER_JOB: int({ default: 8, min: 1, max: 64 }),
  QUEUE_AGING_SECONDS_PER_LEVEL: int({ default: 300, min: 0, max: 86_400 }),
  /** Match in any region priced within the quote (true), or only in the job's region, leaving moves to spillover (false). */
  MATCH_ACROSS_REGIONS: oneOf(['true', 'false'], 'true'),
  /** Placement windows before overflow by urgency, e.g. "low=1800,normal=600,high=120,critical=30". */
  PLACEMENT_WINDOWS: str({
    default: '',
    pattern: /^((low|normal|high|critical)=\d+(,(low|normal|high|critical)=\d+)*)?$/,
    describe: 'comma-separated <urgency>=<seconds> (urgency low, normal, high or critical)',
  }),
};

export type MatchmakerConfig = ConfigOf<typeof schema> & {
  /** Kubeconfig path per region, from KUBECONFIG_<REGION>. */
  kubeconfigs: Record<string, string>;
};

const parse = defineConfig('matchmaker', schema);

/** Validates the environment at boot. The only place the matchmaker service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): MatchmakerConfig {
  const base = parse(env);
  const kubeconfigs: Record<string, string> = {};
  const missing: ConfigIssue[] = [];
  for (const region of base.STARMINER_REGIONS.split(',')) {
    const name = `KUBECONFIG_${region.toUpperCase().replace(/-/g, '_')}`;
    const path = env[name];
    if (path) kubeconfigs[region] = path;
    else
      missing.push({
        name,
        value: undefined,
        problem: `is required but not set (region ${region} is in STARMINER_REGIONS)`,
        accepted: "the path of that region's kubeconfig",
      });
  }
  if (missing.length) {
    throw new ConfigError('matchmaker', missing);
  }
  return { ...base, kubeconfigs };
}
