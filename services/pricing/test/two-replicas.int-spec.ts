// Two replicas of the built pricing service (services/pricing/dist/main.js) on one schema and
// consumer group. Both consume node and job events and answer quotes; one holds the
// `price-ticker` lease and runs the pricing intervals, the other stands by. The holder is
// SIGKILLed twice while demand keeps prices moving, and a fresh replica joins as the new standby
// each time: the standby takes the lease, no interval runs twice, and every tier's prices form
// one unbroken chain, each published once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  Topics,
  completeEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  jobEvents,
  marketEvents,
  nodeEvents,
  type Consumer,
  type EventRegistry,
  type Producer,
  type TypedEvent,
} from '@starminer/eventing';
import { commonV1, eventsV1 } from '@starminer/proto';
import {
  ServiceReplicas,
  stackEnv,
  standInDeployment,
  testBus,
  waitUntil,
  writeRegionsFile,
} from '@starminer/testing';

const id = `${process.pid}_${Date.now().toString(36)}`;
const region = `pr-${id.replace(/_/g, '-')}`;
const schema = `pricing_replicas_${id}`;
const H100 = 'NVIDIA-H100-80GB-HBM3';
const KILLS = 2;
const deployment = standInDeployment();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pricing-replicas-'));
const policyFile = path.join(dir, 'policy.yaml');
// One-second intervals and small steps: prices keep moving through both takeovers.
fs.writeFileSync(
  policyFile,
  'version: 1\nname: replicas\nintervalSeconds: 1\nmaxStepBps: 50\nquoteValiditySeconds: 10\n',
);
const replicas = new ServiceReplicas('pricing', schema, {
  ...stackEnv(),
  DATABASE_SCHEMA: schema,
  PRICING_CONSUMER_GROUP: `pricing-replicas-${id}`,
  PRICING_POLICY_FILE: policyFile,
  DEPLOYMENTS_FILE: deployment.file,
  REGIONS_FILE: writeRegionsFile(dir, [region]),
});
const db = replicas.pool;
type Queryable = Pick<typeof db, 'query'>;
const bus = testBus(`pricing-replicas-${id}`);
let producer: Producer;
let market: Consumer;
/** Event ids of every PriceUpdated read from the market topic (at least once each). */
const seen = new Set<string>();

async function publish<E extends TypedEvent>(
  registry: EventRegistry<E>,
  aggregateId: string,
  event: E,
): Promise<void> {
  const origin = deployment.as(registry.definition(event.type).producer).origin;
  const envelope = completeEnvelope(registry, origin, aggregateId, 0, event);
  await producer.send([
    {
      topic: registry.topicOf(event.type),
      key: aggregateId,
      value: encodeEnvelope(registry, envelope),
    },
  ]);
}

/** Demand of `jobs` jobs of 2 GPUs each queued on the region's H100 pool. */
async function queueJobs(jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i++) {
    const jobId = randomUUID();
    await publish(jobEvents, jobId, {
      type: 'JobQueued',
      ...eventsV1.JobQueued.fromPartial({
        jobId,
        clientId: 'replicas',
        tier: { gpuProduct: H100, region, urgency: commonV1.Urgency.URGENCY_NORMAL },
        gpu: { product: H100, count: 2, minVramMib: 0 },
      }),
    });
  }
}

beforeAll(async () => {
  producer = bus.producer();
  await producer.connect();
  await replicas.add();
  await replicas.add();
  market = bus.consumer({ groupId: `pricing-replicas-market-${id}`, fromBeginning: true });
  await market.start([Topics.market], async (batch) => {
    for (const m of batch.messages) {
      if (!m.value) continue;
      const e = decodeEnvelope(marketEvents, m.value);
      if (e.type === 'PriceUpdated') seen.add(e.eventId);
    }
    const last = batch.messages.at(-1);
    if (last) await batch.commit(last.offset);
  });
  await publish(nodeEvents, `${region}/h100-0`, {
    type: 'NodeJoined',
    ...eventsV1.NodeJoined.fromPartial({
      region,
      node: 'h100-0',
      provider: '0x976ea74026e726554db657fa54763abd0c3a0aa9',
      pool: 'h100-a',
      gpus: { product: H100, count: 8, memoryMib: 81559 },
    }),
  });
  await queueJobs(8);
}, 180_000);

afterAll(async () => {
  await market?.stop();
  await producer?.disconnect();
  await bus.close();
  await replicas.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The rows of price_history written so far, per tier, in commit order. */
async function history(
  db: Queryable,
): Promise<Map<string, Array<{ tick: string; price: string; previous: string }>>> {
  const r = await db.query<{ tier: string; tick_seq: string; price: string; previous: string }>(
    `SELECT tier, tick_seq::text, price::text, previous::text FROM ${schema}.price_history ORDER BY id`,
  );
  const out = new Map<string, Array<{ tick: string; price: string; previous: string }>>();
  for (const row of r.rows) {
    const chain = out.get(row.tier) ?? [];
    chain.push({ tick: row.tick_seq, price: row.price, previous: row.previous });
    out.set(row.tier, chain);
  }
  return out;
}

const changes = async () => {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.price_history`);
  return r.rows[0]!.n;
};

it('the standby takes over the intervals when the holder is SIGKILLed; no interval runs twice and no price is published twice', async () => {
  const takeovers: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    // Prices move under the current holder before it is killed.
    const before = await changes();
    await waitUntil('prices changing under the holder', async () =>
      (await changes()) >= before + 8 ? true : undefined,
    );
    const { 'price-ticker': takeover } = await replicas.killHolder(['price-ticker']);
    takeovers.push(takeover!);
    await queueJobs(2);
    await replicas.add();
  }
  // The last holder keeps pricing.
  const total = await changes();
  await waitUntil('prices changing under the last holder', async () =>
    (await changes()) >= total + 8 ? true : undefined,
  );

  // One snapshot of the log, the price history and the outbox (the holder keeps ticking).
  const snapshot = await db.connect();
  await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  const ticks = await snapshot.query<{ at_ms: string }>(
    `SELECT at_ms::text FROM ${schema}.signal_log WHERE kind = 'tick' ORDER BY seq`,
  );
  const chains = await history(snapshot);
  const outbox = await snapshot.query<{ event_id: string }>(
    `SELECT event_id::text FROM ${schema}.outbox`,
  );
  await snapshot.query('COMMIT');
  snapshot.release();

  // Intervals were appended one after another, never two for one moment.
  const at = ticks.rows.map((t) => Number(t.at_ms));
  for (let i = 1; i < at.length; i++) expect(at[i]! > at[i - 1]!).toBe(true);

  // Each tier's prices are one chain: every change starts where the previous one ended, and no
  // interval changed a tier twice.
  expect(chains.size).toBeGreaterThan(0);
  for (const [tier, chain] of chains) {
    expect([tier, new Set(chain.map((c) => c.tick)).size]).toEqual([tier, chain.length]);
    for (let i = 1; i < chain.length; i++)
      expect([tier, i, chain[i]!.previous]).toEqual([tier, i, chain[i - 1]!.price]);
  }

  // One PriceUpdated per change in the outbox, each sent and read from the topic.
  const rows = [...chains.values()].reduce((n, c) => n + c.length, 0);
  expect(outbox.rows).toHaveLength(rows);
  await waitUntil('every PriceUpdated sent and read from the market topic', async () =>
    outbox.rows.every((o) => seen.has(o.event_id)) ? true : undefined,
  );

  console.info(
    `pricing price-ticker takeover after SIGKILL of the holder (ms): ${takeovers.join(', ')}; ` +
      `${at.length} intervals, ${rows} price changes on ${chains.size} tiers, each published once`,
  );
}, 300_000);
