// The follower behind an RPC endpoint that drops 5% of requests and sometimes answers as a node
// that is behind, while new escrow activity keeps arriving: the mirror still equals the chain.
import { type BlockHeader } from '../src/infra/json-rpc';
import { LogDecoder } from '../src/infra/log-decoder';
import { escrowActivity, headNumber, mineEmpty, privateChain } from './support/chain';
import {
  chainLogs,
  dropSchema,
  indexUntil,
  mirroredLogs,
  newIndexer,
  newPool,
  rawKey,
  stepErrors,
  uniqueName,
} from './support/indexer';
import { FlakyRpcProxy } from './support/rpc-proxy';
import { waitUntil } from '@starminer/testing';

describe('an unreliable RPC endpoint', () => {
  it('drops 5% of requests and serves a lagging node at times: no gaps, no duplicates', async () => {
    const fx = await privateChain();
    const proxy = new FlakyRpcProxy(fx.chain.url, { dropRate: 0.05, staleRate: 0.2, maxLag: 15 });
    const url = await proxy.start();
    const pool = newPool();
    const schema = uniqueName('ci_proxy');
    try {
      // Building checks the chain id once; through this proxy that call can be dropped too, and
      // the service retries its start the same way.
      const ix = await waitUntil('the indexer to start through the flaky proxy', () =>
        newIndexer(pool, {
          schema,
          rpcUrl: url,
          deployments: fx.deployments,
          confirmations: 0,
          batchBlocks: 7,
          rpcTimeoutMs: 2_000,
        }),
      );
      for (let round = 0; round < 8; round++) {
        await escrowActivity(fx, { jobs: 15, tag: `proxy-${round}`, txsPerBlock: 2 });
        await mineEmpty(fx.chain, 5);
        await indexUntil(ix, (await headNumber(fx.chain)) - 3);
      }
      const head = await headNumber(fx.chain);
      await indexUntil(ix, head);
      console.log(
        `proxy: ${proxy.stats.requests} requests, ${proxy.stats.dropped} dropped, ${proxy.stats.stale} stale; ` +
          `${stepErrors.length} failed steps retried`,
      );
      expect(proxy.stats.dropped).toBeGreaterThan(0);
      expect(proxy.stats.stale).toBeGreaterThan(0);

      const decoder = new LogDecoder(fx.deployments.chainId, fx.deployments.contracts);
      const fresh = (
        await chainLogs(fx.chain.url, fx.deployments, fx.deployments.deploymentBlock, head)
      )
        .filter((l) => decoder.decode(l, { timestamp: 0 } as BlockHeader))
        .map(rawKey);
      expect(await mirroredLogs(pool, schema)).toEqual(fresh);
      const dupes = await pool.query(
        `SELECT count(*) - count(DISTINCT event_id) AS n FROM "${schema}".outbox`,
      );
      expect(Number(dupes.rows[0].n)).toBe(0);
    } finally {
      await proxy.stop();
      await dropSchema(pool, schema);
      await pool.end();
      await fx.chain.stop();
    }
  });
});
