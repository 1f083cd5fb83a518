// The reputation service in this process against the local stack, with its own schema and
// consumer group, and a promise-based client for its gRPC API.
import { credentials } from '@grpc/grpc-js';
import { Client } from 'pg';
import { reputationV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar, waitUntil } from '@starminer/testing';
import { loadConfig } from '../../src/config';
import { reputationService } from '../../src/service-definition';

export interface Reputation {
  service: RunningService;
  schema: string;
  grpcAddress: string;
  score(provider: string, pool?: string): Promise<reputationV1.ProviderScore>;
  explain(provider: string): Promise<reputationV1.ExplainScoreResponse>;
  proof(account: string, epoch?: string): Promise<reputationV1.GetRewardProofResponse>;
  stop(): Promise<void>;
}

type Unary<Req, Res> = (req: Req, cb: (err: Error | null, res: Res) => void) => unknown;

export async function startReputation(opts: {
  runId: string;
  env?: Record<string, string>;
}): Promise<Reputation> {
  const schema = `rep_${opts.runId}`;
  const config = loadConfig({
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    KAFKA_BROKERS: requireStackVar('KAFKA_BROKERS'),
    CHAIN_RPC_URL: requireStackVar('CHAIN_RPC_URL'),
    DATABASE_SCHEMA: schema,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    REPUTATION_CONSUMER_GROUP: `rep-${opts.runId}`,
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
    stop: async () => {
      client.close();
      await service.stop('test done');
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
