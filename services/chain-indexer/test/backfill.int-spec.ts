// 10,000 escrow events on a private anvil, indexed by the follower; the mirror must equal a fresh
// read of the chain row for row: every log (block hash, log index), every escrow (jobOf), stake
// and participant as the contracts report them now.
import { type Pool } from 'pg';
import { JobStatus } from '@starminer/chain';
import { LogDecoder } from '../src/infra/log-decoder';
import { type BlockHeader } from '../src/infra/json-rpc';
import { type Indexer } from '../src/infra/indexer-runtime';
import {
  escrowActivity,
  headNumber,
  privateChain,
  PROVIDER_INDEX,
  addressOf,
  type Fixture,
} from './support/chain';
import {
  chainLogs,
  dropSchema,
  indexUntil,
  mirroredLogs,
  newIndexer,
  newPool,
  rawKey,
  uniqueName,
} from './support/indexer';

const STATUS: Record<number, string> = {
  [JobStatus.Funded]: 'funded',
  [JobStatus.Settled]: 'settled',
  [JobStatus.Refunded]: 'refunded',
  [JobStatus.Reclaimed]: 'reclaimed',
};

describe('backfill of 10,000 escrow events', () => {
  let fx: Fixture;
  let pool: Pool;
  let schema: string;
  let ix: Indexer;
  let jobIds: string[];

  beforeAll(async () => {
    fx = await privateChain();
    const t0 = Date.now();
    ({ jobIds } = await escrowActivity(fx, { jobs: 5_000, tag: 'backfill' }));
    console.log(`generated 5,000 fundings + 5,000 closings in ${Date.now() - t0} ms`);
    pool = newPool();
    schema = uniqueName('ci_backfill');
    ix = await newIndexer(pool, {
      schema,
      rpcUrl: fx.chain.url,
      deployments: fx.deployments,
      batchBlocks: 50,
    });
  }, 600_000);

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
    await fx.chain.stop();
  });

  it('mirrors every log and every escrow exactly as the chain has them', async () => {
    const head = await headNumber(fx.chain);
    const t0 = Date.now();
    await indexUntil(ix, head, 300_000);
    const ms = Date.now() - t0;
    const escrowEvents = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".chain_logs WHERE name IN ('JobFunded','JobSettled','JobRefunded')`,
    );
    expect(Number(escrowEvents.rows[0]!.n)).toBe(10_000);
    console.log(
      `indexed ${ix.follower.status.logsIndexed} logs (10,000 escrow events) up to block ${head} in ${ms} ms: ${Math.round((10_000 * 1000) / ms)} escrow events/s`,
    );

    // Logs: a fresh eth_getLogs over the whole deployment, filtered to what the indexer decodes.
    const decoder = new LogDecoder(fx.deployments.chainId, fx.deployments.contracts);
    const fresh = (
      await chainLogs(fx.chain.url, fx.deployments, fx.deployments.deploymentBlock, head)
    )
      .filter((l) => decoder.decode(l, { timestamp: 0 } as BlockHeader))
      .map(rawKey);
    expect(await mirroredLogs(pool, schema)).toEqual(fresh);

    // Escrows: jobOf for every job, in JSON-RPC batches of eth_call.
    const read = fx.read.jobEscrow;
    const onChain: Record<string, unknown>[] = [];
    for (let i = 0; i < jobIds.length; i += 500) {
      const slice = jobIds.slice(i, i + 500);
      const results = await fx.chain.batch<string>(
        slice.map((id) => ({
          method: 'eth_call',
          params: [
            {
              to: fx.deployments.contracts.jobEscrow,
              data: read.interface.encodeFunctionData('jobOf', [id]),
            },
            'latest',
          ],
        })),
      );
      results.forEach((data, k) => {
        const [job] = read.interface.decodeFunctionResult('jobOf', data);
        onChain.push({
          job_id: slice[k],
          client: String(job.client).toLowerCase(),
          status: STATUS[Number(job.status)],
          amount: job.amount.toString(),
          price_per_gpu_second: job.pricePerGpuSecond.toString(),
          max_gpu_seconds: job.maxGpuSeconds.toString(),
          deadline: job.deadline.toString(),
          tier: String(job.tier).toLowerCase(),
        });
      });
    }
    const mirrored = await pool.query(
      `SELECT job_id, client, status, amount::text, price_per_gpu_second::text, max_gpu_seconds::text,
              deadline::text, tier FROM "${schema}".escrows ORDER BY job_id`,
    );
    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      String(a.job_id) < String(b.job_id) ? -1 : 1;
    expect(mirrored.rows).toEqual(onChain.sort(byId));

    // Stake and registration of the provider, and the published events.
    const provider = addressOf(PROVIDER_INDEX).toLowerCase();
    const stake = await fx.read.staking.stakeOf(provider);
    const s = await pool.query(
      `SELECT bonded::text, unbonding::text FROM "${schema}".stakes WHERE provider = $1`,
      [provider],
    );
    expect(s.rows).toEqual([
      { bonded: stake.bonded.toString(), unbonding: stake.unbonding.toString() },
    ]);
    const outbox = await pool.query<{ type: string; n: string }>(
      `SELECT headers->>'event-type' AS type, count(*) AS n FROM "${schema}".outbox GROUP BY 1 ORDER BY 1`,
    );
    expect(Object.fromEntries(outbox.rows.map((r) => [r.type, Number(r.n)]))).toMatchObject({
      EscrowFunded: 5_000,
      EscrowSettled: 2_500,
      EscrowRefunded: 2_500,
    });
  });
});
