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
  ...serviceConfigSchema({ service: 'spillover', httpPort: 8085, grpcPort: 9095 }),
  /** Brokers, the deployment's topic prefix and spillover's SASL principal. */
  ...kafkaConfigSchema(),
  /**
   * Consumer group of spillover's consumer of job, node and market events: a logical name, put
   * under KAFKA_TOPIC_PREFIX by the bus.
   */
  KAFKA_GROUP_ID: consumerGroup('spillover'),
  /** A new group reads the topics from their beginning (history) or only from now on. */
  KAFKA_FROM_BEGINNING: oneOf(['true', 'false'], 'true'),
  /**
   * The deployment spillover belongs to (chain id and contracts): its proposals are stamped with
   * it, and only events of it are read into the routing model.
   */
  DEPLOYMENTS_FILE: deploymentsFile(),
  /** Regions served (and their latency matrix): node and price events of other regions are dropped. */
  REGIONS_FILE: str({ describe: 'path of the regions file (regions and latency matrix)' }),
  /**
   * Regions whose API server spillover probes: each needs KUBECONFIG_<REGION>. Regions of the
   * regions file not listed here count as reachable.
   */
  STARMINER_REGIONS: str({
    default: '',
    pattern: /^([a-z0-9-]+(,[a-z0-9-]+)*)?$/,
    describe: 'comma-separated region names',
  }),
  /** host:port of the matchmaker's gRPC API (Reroute, NoteRouting). */
  MATCHMAKER_GRPC_URL: str({
    default: '127.0.0.1:9091',
    describe: 'host:port of the matchmaker gRPC API',
  }),
  /** How often the routing plan is made (and at once after events change it). */
  PLAN_MS: int({ default: 1_000, min: 50, max: 600_000 }),
  /** A queued job its region cannot place spills after waiting this long (saturation). */
  SPILL_AFTER_SECONDS: int({ default: 30, min: 0, max: 86_400 }),
  /** Probe of each region's API server: interval, timeout and failures in a row to call it unreachable. */
  PROBE_MS: int({ default: 2_000, min: 100, max: 600_000 }),
  PROBE_TIMEOUT_MS: int({ default: 1_500, min: 50, max: 60_000 }),
  PROBE_FAILURES: int({ default: 3, min: 1, max: 100 }),
};

export type SpilloverConfig = ConfigOf<typeof schema> & {
  /** Kubeconfig path per probed region, from KUBECONFIG_<REGION>. */
  kubeconfigs: Record<string, string>;
};

const parse = defineConfig('spillover', schema);

/** Validates the environment at boot. The only place the spillover service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SpilloverConfig {
  const base = parse(env);
  const kubeconfigs: Record<string, string> = {};
  const missing: ConfigIssue[] = [];
  for (const region of base.STARMINER_REGIONS.split(',').filter(Boolean)) {
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
  if (missing.length) throw new ConfigError('spillover', missing);
  return { ...base, kubeconfigs };
}
