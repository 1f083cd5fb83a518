// Test-side helpers around the indexer: a schema per test, the follower driven in-process, and
// fresh reads of the chain to compare the mirror with.
import { Pool } from 'pg';
import { requireStackVar, waitUntil } from '@starminer/testing';
import { silentLogger } from '@starminer/eventing';
import { type Deployments } from '@starminer/chain';
import { buildIndexer, type Indexer } from '../../src/infra/indexer-runtime';
import { JsonRpcClient, type BlockHeader, type RawLog } from '../../src/infra/json-rpc';
import { LogDecoder } from '../../src/infra/log-decoder';

export const databaseUrl = () => requireStackVar('DATABASE_URL');

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
}

export function newPool(max = 5): Pool {
  const pool = new Pool({ connectionString: databaseUrl(), max, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  return pool;
}

export async function newIndexer(
  pool: Pool,
  opts: {
    schema: string;
    rpcUrl: string;
    deployments: Deployments;
    confirmations?: number;
    finalityDepth?: number;
    batchBlocks?: number;
    rpcTimeoutMs?: number;
  },
): Promise<Indexer> {
  return buildIndexer({
    pool,
    schema: opts.schema,
    rpcUrl: opts.rpcUrl,
    deployments: opts.deployments,
    confirmations: opts.confirmations ?? 0,
    finalityDepth: opts.finalityDepth ?? 64,
    batchBlocks: opts.batchBlocks ?? 500,
    pollIntervalMs: 50,
    rpcTimeoutMs: opts.rpcTimeoutMs ?? 10_000,
    logger: { ...silentLogger, error: (m, f) => console.error(m, f) },
  });
}

/** Errors seen by indexUntil's steps (retried like the follower's loop retries them). */
export const stepErrors: string[] = [];

/** Steps the follower until its cursor reaches `target` (errors are retried, as the loop does). */
export async function indexUntil(ix: Indexer, target: number, timeoutMs = 120_000): Promise<void> {
  await waitUntil(
    `indexer cursor at ${target}`,
    async () => {
      for (let i = 0; i < 1_000; i++) {
        const r = await ix.follower.step().catch((e: unknown) => {
          stepErrors.push((e as Error).message);
          return 'error' as const;
        });
        if (r === 'halted') throw new Error(`halted: ${ix.follower.status.halted}`);
        if ((ix.follower.status.cursor ?? -1) >= target && r !== 'reorg') return true;
        if (r === 'idle' || r === 'error') break;
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 20 },
  );
}

/** Every log of the StarMiner contracts from `from` to `to`, read fresh from the node. */
export async function chainLogs(
  rpcUrl: string,
  d: Deployments,
  from: number,
  to: number,
): Promise<RawLog[]> {
  const rpc = new JsonRpcClient(rpcUrl, 60_000);
  const addresses = Object.values(d.contracts).map((a) => a.toLowerCase());
  const out: RawLog[] = [];
  for (let a = from; a <= to; a += 2_000)
    out.push(...(await rpc.getLogs(addresses, a, Math.min(to, a + 1_999))));
  return out;
}

export interface LogKey {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  transactionHash: string;
}

export const rawKey = (l: RawLog): LogKey => ({
  blockNumber: Number(BigInt(l.blockNumber)),
  blockHash: l.blockHash.toLowerCase(),
  logIndex: Number(BigInt(l.logIndex)),
  transactionHash: l.transactionHash.toLowerCase(),
});

/** Mirrored logs (those the decoder knows), in chain order, by the same key. */
export async function mirroredLogs(pool: Pool, schema: string): Promise<LogKey[]> {
  const r = await pool.query<{
    block_number: string;
    block_hash: string;
    log_index: number;
    transaction_hash: string;
  }>(
    `SELECT block_number, block_hash, log_index, transaction_hash FROM "${schema}".chain_logs ORDER BY checkpoint`,
  );
  return r.rows.map((x) => ({
    blockNumber: Number(x.block_number),
    blockHash: x.block_hash,
    logIndex: x.log_index,
    transactionHash: x.transaction_hash,
  }));
}

/**
 * Expects the mirror in `schema` to hold every log of the deployment's contracts up to `head`
 * once, in chain order, and the outbox one event per announced log; returns how many logs.
 */
export async function expectMirrorOfChain(
  pool: Pool,
  schema: string,
  rpcUrl: string,
  d: Deployments,
  head: number,
): Promise<number> {
  const decoder = new LogDecoder(d.chainId, d.contracts);
  const fresh = (await chainLogs(rpcUrl, d, d.deploymentBlock, head))
    .filter((l) => decoder.decode(l, { timestamp: 0 } as BlockHeader))
    .map(rawKey);
  expect(await mirroredLogs(pool, schema)).toEqual(fresh);
  const published = await pool.query<{ logs: string; outbox: string; distinct_ids: string }>(
    `SELECT (SELECT count(*) FROM "${schema}".chain_logs WHERE event_id IS NOT NULL) AS logs,
            (SELECT count(*) FROM "${schema}".outbox) AS outbox,
            (SELECT count(DISTINCT event_id) FROM "${schema}".outbox) AS distinct_ids`,
  );
  const p = published.rows[0]!;
  expect(Number(p.outbox)).toBe(Number(p.logs));
  expect(Number(p.distinct_ids)).toBe(Number(p.logs));
  return fresh.length;
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
