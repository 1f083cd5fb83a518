// The reputation service in this process against the local stack, in this test file's Kafka
// namespace, with its own schema, consumer group, deployment and regions, and a promise-based
// client for its gRPC API.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Client } from 'pg';
import { reputationV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar, stackEnv, waitUntil, writeRegionsFile } from '@starminer/testing';
import { loadConfig } from '../../src/config';
import { reputationService } from '../../src/service-definition';

export interface Reputation {
  service: RunningService;
  schema: string;
  grpcAddress: string;
  /** Consumer group of its job, node and chain consumer. */
  groupId: string;
  score(provider: string, pool?: string): Promise<reputationV1.ProviderScore>;
  explain(provider: string): Promise<reputationV1.ExplainScoreResponse>;
  proof(account: string, epoch?: string): Promise<reputationV1.GetRewardProofResponse>;
  /** Events its consumer refused (`starminer_events_refused_total`), by reason. */
  refused(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

type Unary<Req, Res> = (req: Req, cb: (err: Error | null, res: Res) => void) => unknown;

/**
 * Sums the samples of the `starminer_events_refused_total` counter of consumer group `group` on
 * the service's /metrics, by reason.
 */
export async function refusedEvents(
  httpPort: number,
  group: string,
): Promise<Record<string, number>> {
  const page = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of page.split('\n')) {
    const m = /^starminer_events_refused_total\{(.*)\}\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    if (labels.group !== group) continue;
    const reason = labels.reason ?? '';
    out[reason] = (out[reason] ?? 0) + Number(m[2]);
  }
  return out;
}

export async function startReputation(opts: {
  runId: string;
  /** The deployment whose events count (DEPLOYMENTS_FILE). */
  deploymentsFile: string;
  /** Every region the test uses on purpose: the service serves these. */
  regions: string[];
  env?: Record<string, string>;
}): Promise<Reputation> {
  const schema = `rep_${opts.runId}`;
  const groupId = `rep-${opts.runId}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rep-regions-'));
  const config = loadConfig({
    ...stackEnv(),
    DATABASE_SCHEMA: schema,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    REPUTATION_CONSUMER_GROUP: groupId,
    DEPLOYMENTS_FILE: opts.deploymentsFile,
    REGIONS_FILE: writeRegionsFile(dir, opts.regions),
    ...opts.env,
  });
  const service = await startService(
    reputationService,
    config,
    new JsonLogger({ service: 'reputation', level: 'warn' }),
  );
  const grpcAddress = `127.0.0.1:${service.grpcPort}`;
  const client = new reputationV1.ReputationServiceClient(
    grpcAddress,
    credentials.createInsecure(),
  );
  const call = <Req, Res>(fn: Unary<Req, Res>, req: Req) =>
    new Promise<Res>((resolve, reject) =>
      fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res))),
    );
  // tables migrated and the consumer in its group before the test goes on
  await waitUntil(
    'reputation ready',
    async () =>
      (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).ok ? true : undefined,
    { timeoutMs: 90_000 },
  );
  return {
    service,
    schema,
    grpcAddress,
    groupId,
    score: async (provider, pool = '') =>
      (
        await call<reputationV1.GetScoreRequest, reputationV1.GetScoreResponse>(
          client.getScore as Unary<reputationV1.GetScoreRequest, reputationV1.GetScoreResponse>,
          { provider, pool },
        )
      ).score!,
    explain: (provider) =>
      call<reputationV1.ExplainScoreRequest, reputationV1.ExplainScoreResponse>(
        client.explainScore as Unary<
          reputationV1.ExplainScoreRequest,
          reputationV1.ExplainScoreResponse
        >,
        { provider, pool: '', evidenceLimit: 0 },
      ),
    proof: (account, epoch = '0') =>
      call<reputationV1.GetRewardProofRequest, reputationV1.GetRewardProofResponse>(
        client.getRewardProof as Unary<
          reputationV1.GetRewardProofRequest,
          reputationV1.GetRewardProofResponse
        >,
        { account, epoch },
      ),
    refused: () => refusedEvents(service.httpPort, groupId),
    stop: async () => {
      client.close();
      await service.stop('test done');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Drops the test's Postgres schemas. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  const db = new Client({ connectionString: requireStackVar('DATABASE_URL') });
  await db.connect();
  for (const s of schemas) await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await db.end();
}
