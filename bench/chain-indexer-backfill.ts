// chain-indexer backfill throughput: N escrow events (half fundings, half settlements or refunds,
// plus the deposits' Transfer logs) on a private anvil, ~200 transactions per block, indexed from
// the deployment block by the follower into a fresh Postgres schema (mirror + outbox, one
// transaction per batch). Reference: ponder 0.16 indexed 20,000 escrow events from 103 blocks in
// ~10 s with PGlite on 2 cores. Prints the figures, writes bench/results/chain-indexer-backfill.json.
// Run: npx tsx bench/chain-indexer-backfill.ts   (BENCH_ESCROW_EVENTS=20000 BENCH_BATCH_BLOCKS=100)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@starminer/eventing';
import { buildIndexer } from '../services/chain-indexer/src/infra/indexer-runtime';
import {
  escrowActivity,
  headNumber,
  privateChain,
} from '../services/chain-indexer/test/support/chain';
import { dropSchema, newPool, uniqueName } from '../services/chain-indexer/test/support/indexer';

const EVENTS = Number(process.env.BENCH_ESCROW_EVENTS ?? 20_000);
const BATCH = Number(process.env.BENCH_BATCH_BLOCKS ?? 100);

async function main(): Promise<void> {
  const fx = await privateChain();
  const pool = newPool(4);
  const schema = uniqueName('bench_ci');
  try {
    const g0 = Date.now();
    const { blocks } = await escrowActivity(fx, {
      jobs: EVENTS / 2,
      tag: 'bench',
      txsPerBlock: 200,
    });
    const generateMs = Date.now() - g0;
    const head = await headNumber(fx.chain);
    const ix = await buildIndexer({
      pool,
      schema,
      rpcUrl: fx.chain.url,
      deployments: fx.deployments,
      confirmations: 0,
      finalityDepth: 64,
      batchBlocks: BATCH,
      pollIntervalMs: 10,
      rpcTimeoutMs: 60_000,
      logger: silentLogger,
    });
    const t0 = Date.now();
    while ((ix.follower.status.cursor ?? 0) < head) await ix.follower.step();
    const ms = Date.now() - t0;
    const escrowEvents = Number(
      (
        await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM "${schema}".chain_logs WHERE name IN ('JobFunded', 'JobSettled', 'JobRefunded')`,
        )
      ).rows[0]!.n,
    );
    const result = {
      escrowEvents,
      logsIndexed: ix.follower.status.logsIndexed,
      eventsPublished: ix.follower.status.eventsPublished,
      blocksWithEvents: blocks,
      blocksIndexed: head - fx.deployments.deploymentBlock + 1,
      batchBlocks: BATCH,
      indexMs: ms,
      escrowEventsPerSecond: Math.round((escrowEvents * 1000) / ms),
      logsPerSecond: Math.round((ix.follower.status.logsIndexed * 1000) / ms),
      generateMs,
      reference:
        'ponder 0.16: 20,000 escrow events from 103 blocks in ~10 s (PGlite, 2 cores) = ~2,000/s',
      machine: { cpus: os.cpus().length, node: process.version },
      at: new Date().toISOString(),
    };
    console.log(
      `indexed ${escrowEvents} escrow events (${result.logsIndexed} logs, ${result.eventsPublished} outbox events) ` +
        `from ${result.blocksIndexed} blocks in ${(ms / 1000).toFixed(2)} s: ${result.escrowEventsPerSecond} escrow events/s ` +
        `(${result.logsPerSecond} logs/s) on ${os.cpus().length} cores`,
    );
    const out = path.join(__dirname, 'results/chain-indexer-backfill.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await dropSchema(pool, schema);
    await pool.end();
    await fx.chain.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
