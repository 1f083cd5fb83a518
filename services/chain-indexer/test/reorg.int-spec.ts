// Reorgs made with anvil_reorg at every depth up to the window the indexer does not trust as
// final: after each, the mirror equals the canonical chain compared on (block hash, log index), and
// a downstream consumer of starminer.chain.v1 that handles ChainReorged converges to the same set.
// Then a reorg below finality (anvil --slots-in-an-epoch 1: finalized = head - 2) halts indexing.
import { type Pool } from 'pg';
import {
  catalogueTopics,
  deploymentScope,
  type KafkaJsBus,
  OutboxRelay,
  silentLogger,
  Topics,
  type Producer,
} from '@starminer/eventing';
import { testBus, waitUntil } from '@starminer/testing';
import { type BlockHeader } from '../src/infra/json-rpc';
import { LogDecoder } from '../src/infra/log-decoder';
import { type Indexer } from '../src/infra/indexer-runtime';
import { escrowActivity, fundCalls, headNumber, privateChain, type Fixture } from './support/chain';
import { DownstreamConsumer } from './support/downstream';
import {
  chainLogs,
  databaseUrl,
  dropSchema,
  indexUntil,
  mirroredLogs,
  newIndexer,
  newPool,
  rawKey,
  uniqueName,
} from './support/indexer';

const WINDOW = 6;

async function expectMirrorEqualsChain(fx: Fixture, pool: Pool, schema: string): Promise<void> {
  const head = await headNumber(fx.chain);
  const decoder = new LogDecoder(fx.deployments.chainId, fx.deployments.contracts);
  const fresh = (
    await chainLogs(fx.chain.url, fx.deployments, fx.deployments.deploymentBlock, head)
  )
    .filter((l) => decoder.decode(l, { timestamp: 0 } as BlockHeader))
    .map(rawKey);
  expect(await mirroredLogs(pool, schema)).toEqual(fresh);
}

describe('reorgs within the unfinalized window', () => {
  let fx: Fixture;
  let pool: Pool;
  let schema: string;
  let ix: Indexer;
  let producer: Producer;
  let relay: OutboxRelay;
  let bus: KafkaJsBus;
  let downstream: DownstreamConsumer;

  beforeAll(async () => {
    fx = await privateChain();
    pool = newPool(10);
    schema = uniqueName('ci_reorg');
    ix = await newIndexer(pool, {
      schema,
      rpcUrl: fx.chain.url,
      deployments: fx.deployments,
      confirmations: 0,
      finalityDepth: WINDOW,
    });
    bus = testBus('ci-reorg', { logger: silentLogger });
    // As the service does: the chain topic exists in the namespace before the relay starts.
    await bus.ensureTopics(catalogueTopics([Topics.chain]));
    producer = bus.producer();
    await producer.connect();
    relay = new OutboxRelay({
      pool,
      leaseConnection: { connectionString: databaseUrl() },
      schema,
      producer,
      pollIntervalMs: 100,
      logger: silentLogger,
    });
    relay.start();
    downstream = new DownstreamConsumer(
      pool,
      schema,
      deploymentScope(fx.deployments, { service: 'ci-downstream' }).scope,
    );
    await downstream.start();
  });

  afterAll(async () => {
    await downstream.stop();
    await relay.stop();
    await producer.disconnect();
    await bus.close();
    await dropSchema(pool, schema);
    await pool.end();
    await fx.chain.stop();
  });

  it.each(Array.from({ length: WINDOW }, (_, i) => i + 1))(
    'depth %i: rolls back to the common ancestor, re-applies the canonical blocks and publishes ChainReorged',
    async (depth) => {
      // One escrow transaction per block, so every re-mined block loses or changes logs.
      await escrowActivity(fx, { jobs: depth + 2, tag: `pre-${depth}`, txsPerBlock: 1 });
      await indexUntil(ix, await headNumber(fx.chain));
      const reorgsBefore = ix.follower.status.reorgs;

      // Re-mine the last `depth` blocks with other transactions in them.
      const replacements = await fundCalls(fx, `reorg-${depth}`, depth);
      await fx.chain.rpc('anvil_reorg', [
        depth,
        replacements.map(({ from, to, data }, i) => [
          { from, to, data, gas: '0x7a120' },
          i % depth,
        ]),
      ]);
      await indexUntil(ix, await headNumber(fx.chain));
      expect(ix.follower.status.reorgs).toBe(reorgsBefore + 1);
      await expectMirrorEqualsChain(fx, pool, schema);

      const reorged = await pool.query<{ depth: string }>(
        `SELECT count(*) AS depth FROM "${schema}".outbox WHERE headers->>'event-type' = 'ChainReorged'`,
      );
      expect(Number(reorged.rows[0]!.depth)).toBe(depth);
    },
  );

  it('leaves a downstream consumer that handles ChainReorged with exactly the canonical events', async () => {
    const published = await pool.query<{ k: string }>(
      `SELECT block_hash || ':' || log_index AS k FROM "${schema}".chain_logs WHERE event_id IS NOT NULL ORDER BY 1`,
    );
    const expected = published.rows.map((r) => r.k);
    expect(expected.length).toBeGreaterThan(0);
    await waitUntil(
      'downstream consumer to converge',
      async () =>
        JSON.stringify(await downstream.derived()) === JSON.stringify(expected) ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  });
});

describe('a reorg below trusted finality', () => {
  it('halts indexing with the reason, keeps the mirror as it was, and stays halted', async () => {
    const fx = await privateChain(['--slots-in-an-epoch', '1']);
    const pool = newPool();
    const schema = uniqueName('ci_halt');
    try {
      const ix = await newIndexer(pool, {
        schema,
        rpcUrl: fx.chain.url,
        deployments: fx.deployments,
        confirmations: 0,
      });
      await escrowActivity(fx, { jobs: 4, tag: 'halt', txsPerBlock: 1 });
      const head = await headNumber(fx.chain);
      await indexUntil(ix, head);
      const before = await mirroredLogs(pool, schema);

      // finalized = head - 2: re-mining 3 blocks changes a block the indexer trusted as final.
      await fx.chain.rpc('anvil_reorg', [3, []]);
      await waitUntil('halt', async () =>
        (await ix.follower.step().catch(() => 'error')) === 'halted' ? true : undefined,
      );
      expect(ix.follower.status.halted).toMatch(/at or below the trusted finalized block/);
      await expect(ix.follower.readiness().check()).rejects.toThrow(/indexing halted/);
      expect(await mirroredLogs(pool, schema)).toEqual(before);

      // A fresh follower on the same schema (a restart) is halted too.
      const again = await newIndexer(pool, {
        schema,
        rpcUrl: fx.chain.url,
        deployments: fx.deployments,
      });
      expect(await again.follower.step()).toBe('halted');
    } finally {
      await dropSchema(pool, schema);
      await pool.end();
      await fx.chain.stop();
    }
  });
});
