// Two replicas of the built chain-indexer (services/chain-indexer/dist/main.js) on one schema,
// one private anvil and one settlement consumer group. Both serve queries and consume job events;
// one holds the `chain-follower` lease and mirrors the chain, one holds `chain-signer` and sends
// settlements with the settler key. The holder is SIGKILLed twice while jobs are funded on chain
// and their JobSucceeded events arrive, and a fresh replica joins as the new standby each time:
// the standby takes both leases, every escrow is settled by exactly one transaction (one nonce
// each), and every log is mirrored and announced once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { jobIdFromUuid, writeDeployments } from '@starminer/chain';
import {
  completeEnvelope,
  deploymentScope,
  encodeEnvelope,
  silentLogger,
  starminerRegistry,
  Topics,
  type Producer,
  type StarminerEvent,
} from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import { ServiceReplicas, stackEnv, testBus, waitUntil } from '@starminer/testing';
import {
  ACCOUNT,
  addressOf,
  AGPU,
  fundCalls,
  headNumber,
  privateChain,
  PROVIDER_INDEX,
  type Fixture,
} from './support/chain';
import { expectMirrorOfChain, uniqueName } from './support/indexer';

jest.setTimeout(600_000);
const KILLS = 2;
const JOBS_PER_ROUND = 6;
const LEASES = ['chain-follower', 'chain-signer'] as const;
const schema = uniqueName('ci_replicas');
const bus = testBus('ci-replicas', { logger: silentLogger });
let fx: Fixture;
let producer: Producer;
let replicas: ServiceReplicas;
let pool: ServiceReplicas['pool'];

/** Funds `n` escrows on chain and announces each job's success as the matchmaker does. */
async function succeedJobs(tag: string, n: number): Promise<string[]> {
  const uuids = Array.from({ length: n }, () => randomUUID());
  const calls = await fundCalls(fx, tag, n, uuids.map(jobIdFromUuid));
  for (const c of calls)
    await fx.chain.rpc('eth_sendTransaction', [{ from: c.from, to: c.to, data: c.data }]);
  const registry = starminerRegistry();
  const matchmaker = deploymentScope(fx.deployments, { service: 'matchmaker' }).origin;
  await producer.send(
    uuids.map((jobId) => {
      const event: StarminerEvent = {
        ...eventsV1.JobSucceeded.fromPartial({
          jobId,
          clientId: 'replicas',
          placement: {
            provider: addressOf(PROVIDER_INDEX).toLowerCase(),
            region: 'eu-west',
            pool: 'h100',
          },
          usage: { gpuSeconds: '600', cost: { baseUnits: (AGPU('0.0001') * 600n).toString() } },
        }),
        type: 'JobSucceeded',
      };
      const envelope = completeEnvelope(registry, matchmaker, jobId, 9, event);
      return { topic: Topics.job, key: jobId, value: encodeEnvelope(registry, envelope) };
    }),
  );
  return uuids;
}

async function intentsConfirmed(uuids: string[]): Promise<void> {
  await waitUntil(
    `${uuids.length} settlements confirmed`,
    async () => {
      const r = await pool
        .query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".settlement_intents
            WHERE job_id = ANY($1) AND status = 'confirmed'`,
          [uuids.map(jobIdFromUuid)],
        )
        .catch(() => ({ rows: [{ n: 0 }] }));
      return r.rows[0]!.n === uuids.length ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

beforeAll(async () => {
  fx = await privateChain();
  const file = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'ci-replicas-')),
    'deployments.json',
  );
  writeDeployments(file, fx.deployments);
  replicas = new ServiceReplicas('chain-indexer', schema, {
    ...stackEnv(),
    DATABASE_SCHEMA: schema,
    CHAIN_RPC_URL: fx.chain.url,
    DEPLOYMENTS_FILE: file,
    CHAIN_CONFIRMATIONS: '0',
    CHAIN_POLL_INTERVAL_MS: '100',
    SETTLEMENT_POLL_INTERVAL_MS: '100',
    SETTLEMENT_BUMP_AFTER_MS: '600000',
    SETTLEMENT_CONSUMER_GROUP: uniqueName('ci-replicas-settle'),
  });
  pool = replicas.pool;
  producer = bus.producer();
  await producer.connect();
  // The first replica takes both leases; the second stands by.
  await replicas.add();
  await replicas.add();
}, 300_000);

afterAll(async () => {
  await producer?.disconnect();
  await bus.close();
  await replicas?.close();
  await fx?.chain.stop();
});

it('the standby takes over following and signing when the holder is SIGKILLed; each escrow is settled by one transaction', async () => {
  const settler = addressOf(ACCOUNT.settler);
  const nonceBefore = await fx.chain.provider.getTransactionCount(settler, 'latest');
  const jobs: string[] = [];
  const takeovers: Record<string, number[]> = { 'chain-follower': [], 'chain-signer': [] };
  for (let k = 0; k <= KILLS; k++) {
    const round = await succeedJobs(`round-${k}`, JOBS_PER_ROUND);
    jobs.push(...round);
    // Some of the round settled under the holder, the rest still to come when it dies.
    await intentsConfirmed(round.slice(0, 2));
    if (k === KILLS) break;

    // Both leases are held by one replica (the first started); it is the one killed.
    const took = await replicas.killHolder(LEASES);
    for (const lease of LEASES) takeovers[lease]!.push(took[lease]!);
    await replicas.add();
  }
  await intentsConfirmed(jobs);

  // One transaction per escrow: one stored, one nonce used, and the escrow settled on chain.
  const txs = await pool.query<{ job_id: string; n: number }>(
    `SELECT job_id, count(*)::int AS n FROM "${schema}".settlement_txs GROUP BY job_id`,
  );
  expect(txs.rows).toHaveLength(jobs.length);
  for (const row of txs.rows) expect([row.job_id, row.n]).toEqual([row.job_id, 1]);
  const nonceAfter = await fx.chain.provider.getTransactionCount(settler, 'latest');
  expect(nonceAfter - nonceBefore).toBe(jobs.length);
  const escrows = await pool.query<{ status: string }>(
    `SELECT status FROM "${schema}".escrows WHERE job_id = ANY($1)`,
    [jobs.map(jobIdFromUuid)],
  );
  expect(escrows.rows.map((e) => e.status)).toEqual(jobs.map(() => 'settled'));

  // Every log of the contracts mirrored once, in chain order, and announced once.
  const head = await headNumber(fx.chain);
  await waitUntil('the mirror at the head', async () => {
    const r = await pool.query<{ n: string }>(
      `SELECT block_number AS n FROM "${schema}".indexer_cursor`,
    );
    return Number(r.rows[0]?.n ?? -1) >= head ? true : undefined;
  });
  const logs = await expectMirrorOfChain(pool, schema, fx.chain.url, fx.deployments, head);

  console.info(
    `chain-indexer takeover after SIGKILL of the holder (ms): chain-follower ${takeovers['chain-follower']!.join(', ')}; ` +
      `chain-signer ${takeovers['chain-signer']!.join(', ')}; ${jobs.length} escrows each settled by one transaction, ` +
      `${logs} logs mirrored once`,
  );
});
