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
import { ServiceProcess, stackEnv, testBus, waitUntil } from '@starminer/testing';
import { type BlockHeader } from '../src/infra/json-rpc';
import { LogDecoder } from '../src/infra/log-decoder';
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
import {
  chainLogs,
  dropSchema,
  mirroredLogs,
  newPool,
  rawKey,
  uniqueName,
} from './support/indexer';

jest.setTimeout(600_000);
const KILLS = 2;
const JOBS_PER_ROUND = 6;
const LEASES = ['chain-follower', 'chain-signer'] as const;
const schema = uniqueName('ci_replicas');
const pool = newPool(4);
const bus = testBus('ci-replicas', { logger: silentLogger });
let fx: Fixture;
let producer: Producer;
let env: Record<string, string> = {};

interface Replica {
  process: ServiceProcess;
  httpPort: number;
}
const replicas: Replica[] = [];

async function newReplica(): Promise<Replica> {
  const process = new ServiceProcess('chain-indexer', env);
  const { httpPort } = await process.started();
  const replica = { process, httpPort };
  replicas.push(replica);
  await waitUntil(`chain-indexer replica ${process.pid} ready`, async () => {
    const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined);
    return r?.status === 200 ? true : undefined;
  });
  return replica;
}

const live = () => replicas.filter((r) => r.process.alive());

async function leasesOf(r: Replica): Promise<Map<string, { leader: boolean; passes?: number }>> {
  const body = (await (await fetch(`http://127.0.0.1:${r.httpPort}/leases`)).json()) as {
    leases: Array<{ lease: string; leader: boolean; passes?: number }>;
  };
  return new Map(body.leases.map((l) => [l.lease, l]));
}

async function tenures(): Promise<Map<string, { holder: string; epoch: number; taken_at: Date }>> {
  const r = await pool
    .query<{ name: string; holder: string; epoch: number; taken_at: Date }>(
      `SELECT name, holder, epoch::int, taken_at FROM "${schema}".leases`,
    )
    .catch(() => ({ rows: [] }));
  return new Map(r.rows.map((row) => [row.name, row]));
}

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
  env = {
    ...stackEnv(),
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_SCHEMA: schema,
    CHAIN_RPC_URL: fx.chain.url,
    DEPLOYMENTS_FILE: file,
    CHAIN_CONFIRMATIONS: '0',
    CHAIN_POLL_INTERVAL_MS: '100',
    SETTLEMENT_POLL_INTERVAL_MS: '100',
    SETTLEMENT_BUMP_AFTER_MS: '600000',
    SETTLEMENT_CONSUMER_GROUP: uniqueName('ci-replicas-settle'),
  };
  producer = bus.producer();
  await producer.connect();
  // The first replica takes both leases; the second stands by.
  await newReplica();
  await newReplica();
}, 300_000);

afterAll(async () => {
  for (const r of replicas) await r.process.kill();
  await producer?.disconnect();
  await bus.close();
  await dropSchema(pool, schema);
  await pool.end();
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

    const held = await waitUntil('one replica holding both leases', async () => {
      const t = await tenures();
      const f = t.get('chain-follower');
      const s = t.get('chain-signer');
      return f && s && f.holder === s.holder ? t : undefined;
    });
    const holder = held.get('chain-signer')!.holder;
    const leader = live().find((r) => holder === `${os.hostname()}/${r.process.pid}`);
    expect(leader).toBeDefined();
    for (const r of live()) {
      const mine = await leasesOf(r);
      for (const lease of LEASES) {
        expect([r.process.pid, lease, mine.get(lease)?.leader]).toEqual([
          r.process.pid,
          lease,
          r === leader,
        ]);
      }
      // A standby has signed nothing.
      if (r !== leader)
        expect([r.process.pid, mine.get('chain-signer')?.passes]).toEqual([r.process.pid, 0]);
    }
    const killedAt = Date.now();
    await leader!.process.kill();
    for (const lease of LEASES) {
      const after = await waitUntil(
        `a new ${lease} tenure after epoch ${held.get(lease)!.epoch}`,
        async () => {
          const t = (await tenures()).get(lease);
          return t && t.epoch > held.get(lease)!.epoch ? t : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      expect(after.holder).not.toBe(holder);
      takeovers[lease]!.push(after.taken_at.getTime() - killedAt);
    }
    await newReplica();
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
  const decoder = new LogDecoder(fx.deployments.chainId, fx.deployments.contracts);
  const fresh = (
    await chainLogs(fx.chain.url, fx.deployments, fx.deployments.deploymentBlock, head)
  )
    .filter((l) => decoder.decode(l, { timestamp: 0 } as BlockHeader))
    .map(rawKey);
  const mirrored = await mirroredLogs(pool, schema);
  expect(mirrored).toEqual(fresh);
  const published = await pool.query<{ logs: string; outbox: string; distinct_ids: string }>(
    `SELECT (SELECT count(*) FROM "${schema}".chain_logs WHERE event_id IS NOT NULL) AS logs,
            (SELECT count(*) FROM "${schema}".outbox) AS outbox,
            (SELECT count(DISTINCT event_id) FROM "${schema}".outbox) AS distinct_ids`,
  );
  const p = published.rows[0]!;
  expect(Number(p.outbox)).toBe(Number(p.logs));
  expect(Number(p.distinct_ids)).toBe(Number(p.logs));

  console.info(
    `chain-indexer takeover after SIGKILL of the holder (ms): chain-follower ${takeovers['chain-follower']!.join(', ')}; ` +
      `chain-signer ${takeovers['chain-signer']!.join(', ')}; ${jobs.length} escrows each settled by one transaction, ` +
      `${fresh.length} logs mirrored once`,
  );
});
