import os from 'node:os';
import {
  type ConfigOf,
  defineConfig,
  deploymentsFile,
  int,
  kafkaConfigSchema,
  serviceConfigSchema,
  str,
  url,
} from '@starminer/service-kit';

const grpcAddress = (fallback: string) =>
  str({ default: fallback, pattern: /^[^\s:]+:\d+$/, describe: 'host:port of a gRPC server' });

const schema = {
  ...serviceConfigSchema({ service: 'gateway', httpPort: 8080, grpcPort: 9090 }),
  /** Downstream services the gateway forwards to. */
  MATCHMAKER_GRPC_URL: grpcAddress('127.0.0.1:9091'),
  PRICING_GRPC_URL: grpcAddress('127.0.0.1:9092'),
  CHAIN_INDEXER_GRPC_URL: grpcAddress('127.0.0.1:9096'),
  /** The regions a job may name (preference, client region), as the matchmaker serves them. */
  REGIONS_FILE: str({ describe: 'path of the regions file (regions and latency matrix)' }),
  /**
   * Brokers, the deployment's topic prefix and the gateway's SASL principal (job events for
   * WatchJob and SSE).
   */
  ...kafkaConfigSchema(),
  /**
   * Consumer group of this replica's job-event watcher. Every replica needs its own group: a
   * watcher must see every job's events, not a share of the partitions. A logical name, put
   * under KAFKA_TOPIC_PREFIX by the bus.
   */
  GATEWAY_WATCH_GROUP: str({
    default: `gateway-watch-${os.hostname().replace(/[^A-Za-z0-9._-]/g, '-')}`,
    pattern: /^[A-Za-z0-9._-]+$/,
  }),
  /**
   * The deployment the gateway belongs to (chain id and contracts): watches show only job events
   * of it, published by the matchmaker (or spillover, for its proposals).
   */
  DEPLOYMENTS_FILE: deploymentsFile(),
  /** JSON-RPC of the chain: ERC-1271 signature checks of contract wallets. */
  CHAIN_RPC_URL: url({ protocols: ['http', 'https'], default: 'http://127.0.0.1:18545' }),
  /** Sign-In with Ethereum: the domain and chain id a message must name. */
  SIWE_DOMAIN: str({ default: 'localhost:8080', describe: 'host[:port] clients sign in to' }),
  SIWE_CHAIN_ID: int({ default: 31337, min: 1, max: 2 ** 31 }),
  SIWE_NONCE_TTL_SECONDS: int({ default: 600, min: 10, max: 86_400 }),
  SESSION_TTL_SECONDS: int({ default: 86_400, min: 60, max: 30 * 86_400 }),
  /** Token buckets per API key and per wallet: submissions and open streams. */
  RATE_SUBMIT_PER_MINUTE: int({ default: 60, min: 1, max: 100_000 }),
  RATE_SUBMIT_BURST: int({ default: 20, min: 1, max: 100_000 }),
  RATE_STREAM_PER_MINUTE: int({ default: 30, min: 1, max: 100_000 }),
  RATE_STREAM_BURST: int({ default: 10, min: 1, max: 100_000 }),
};

export type GatewayConfig = ConfigOf<typeof schema>;

const parse = defineConfig('gateway', schema);

/** Validates the environment at boot. The only place the gateway service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): GatewayConfig {
  return parse(env);
}
