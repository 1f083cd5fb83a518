import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import { Pool } from 'pg';
import { spilloverV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar, stackEnv, waitForStartup, type StandIn } from '@starminer/testing';
import { harnessDeployment } from '../../../matchmaker/test/support/harness';
import { loadConfig } from '../../src/config';
import { spilloverService } from '../../src/service-definition';

/**
 * The regions file of a test's private regions with the latency matrix of config/regions.yaml
 * (us-east 78 ms from eu-west and 215 ms from ap-south; eu-west 140 ms from ap-south), so the
 * latency rules are exercised with the real figures.
 */
export function writeLatencyMatrix(file: string, regionOf: (name: string) => string): void {
  const base: Record<string, Record<string, number>> = {
    'us-east': { 'us-east': 2, 'eu-west': 78, 'ap-south': 215 },
    'eu-west': { 'us-east': 78, 'eu-west': 2, 'ap-south': 140 },
    'ap-south': { 'us-east': 215, 'eu-west': 140, 'ap-south': 2 },
  };
  const names = Object.keys(base);
  const latencyMs = Object.fromEntries(
    names.map((a) => [
      regionOf(a),
      Object.fromEntries(names.map((b) => [regionOf(b), base[a]![b]!])),
    ]),
  );
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 1, regions: names.map((n) => ({ name: regionOf(n) })), latencyMs }),
  );
}

export interface Spillover {
  service: RunningService;
  /** The deployment it runs in. */
  deployment: StandIn;
  client: spilloverV1.SpilloverServiceClient;
  schema: string;
  pool: Pool;
  plan(jobId?: string): Promise<spilloverV1.GetRoutingPlanResponse>;
  stop(): Promise<void>;
}

/**
 * Starts spillover in this process, in this test file's Kafka namespace, with its own schema and
 * consumer group, in `deployment` (default: the file's stand-in, the one the matchmaker harness's
 * matchmakers run in and its EventPublishers publish in).
 */
export async function startSpillover(opts: {
  runId: string;
  matchmakerAddress: string;
  /** REGIONS_FILE, STARMINER_REGIONS and KUBECONFIG_<REGION> of the test's regions. */
  regionsEnv: Record<string, string>;
  extraEnv?: Record<string, string>;
  deployment?: StandIn;
}): Promise<Spillover> {
  const schema = `spill_${opts.runId.replace(/-/g, '_')}`;
  const deployment = opts.deployment ?? harnessDeployment();
  const config = loadConfig({
    ...stackEnv(),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    DATABASE_SCHEMA: schema,
    KAFKA_GROUP_ID: `spillover-${opts.runId}`,
    DEPLOYMENTS_FILE: deployment.file,
    // Only what happens from now on: the file's topics may hold what its earlier tests published.
    KAFKA_FROM_BEGINNING: 'false',
    MATCHMAKER_GRPC_URL: opts.matchmakerAddress,
    PLAN_MS: '300',
    PROBE_MS: '500',
    PROBE_TIMEOUT_MS: '1000',
    PROBE_FAILURES: '2',
    LOG_LEVEL: 'warn',
    ...opts.regionsEnv,
    ...opts.extraEnv,
  });
  const logger = new JsonLogger({ service: 'spillover', level: 'warn' });
  const service = await startService(spilloverService, config, logger);
  const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 2 });
  const dropSchema = async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  };
  try {
    // Its consumer reads from now on: callers announce what it must know until it has seen it.
    await waitForStartup(service.httpPort);
  } catch (err) {
    await service.stop('startup failed');
    await dropSchema();
    throw err;
  }
  const client = new spilloverV1.SpilloverServiceClient(
    `127.0.0.1:${service.grpcPort}`,
    grpc.credentials.createInsecure(),
  );
  return {
    service,
    deployment,
    client,
    schema,
    pool,
    plan: (jobId = '') =>
      new Promise((resolve, reject) =>
        client.getRoutingPlan(
          { jobId, spec: undefined, currentRegion: '' },
          (err: grpc.ServiceError | null, res?: spilloverV1.GetRoutingPlanResponse) =>
            err ? reject(err) : resolve(res!),
        ),
      ),
    stop: async () => {
      client.close();
      await service.stop('test done');
      await dropSchema();
    },
  };
}
