// The settlement signer end to end on a private anvil, Postgres and Kafka: a JobSucceeded event
// delivered twice (same event id: a redelivery) plus a second terminal event of the same job,
// and a restarted signer: exactly one settlement transaction is sent, the mirror confirms it,
// and the indexer publishes EscrowSettled.
import { randomUUID } from 'node:crypto';
import { type Pool } from 'pg';
import { jobIdFromUuid } from '@starminer/chain';
import {
  catalogueTopics,
  completeEnvelope,
  deploymentScope,
  encodeEnvelope,
  EventConsumer,
  silentLogger,
  starminerRegistry,
  Topics,
  type StarminerEvent,
} from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import { testBus, waitUntil } from '@starminer/testing';
import { RecordSettlementIntentHandler } from '../src/app/settle-job/record-intent.handler';
import { DEV_SETTLER_KEY } from '../src/config';
import { chainJobIds } from '../src/infra/job-ids';
import { recordSettlementIntents } from '../src/infra/pg-settlement-intents';
import { SettlementSigner } from '../src/infra/settlement-signer';
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
import { dropSchema, indexUntil, newIndexer, newPool, uniqueName } from './support/indexer';

describe('the settlement signer', () => {
  let fx: Fixture;
  let pool: Pool;
  let schema: string;
  const bus = () => testBus('ci-settle', { logger: silentLogger });

  beforeAll(async () => {
    fx = await privateChain();
    pool = newPool(10);
    schema = uniqueName('ci_settle');
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
    await fx.chain.stop();
  });

  it('sends exactly one transaction for a settlement requested twice, and across a restart', async () => {
    const ix = await newIndexer(pool, {
      schema,
      rpcUrl: fx.chain.url,
      deployments: fx.deployments,
    });
    // Fund a job whose on-chain id is the service job id (a UUID).
    const uuid = randomUUID();
    const [call] = await fundCalls(fx, 'settle', 1, [jobIdFromUuid(uuid)]);
    await fx.chain.rpc('eth_sendTransaction', [
      { from: call!.from, to: call!.to, data: call!.data },
    ]);
    await indexUntil(ix, await headNumber(fx.chain));

    const settler = addressOf(ACCOUNT.settler);
    const nonceBefore = await fx.chain.provider.getTransactionCount(settler, 'latest');

    // The signer's consumer on starminer.job.v1 (a group of its own) and the signer.
    const b = bus();
    await b.ensureTopics(catalogueTopics([Topics.job]));
    const record = new RecordSettlementIntentHandler(chainJobIds);
    // As the runtime scopes it: job events of the deployment, each from its owner (the matchmaker).
    const { scope } = deploymentScope(fx.deployments, { service: 'chain-indexer' });
    const matchmaker = deploymentScope(fx.deployments, { service: 'matchmaker' }).origin;
    const consumer = new EventConsumer<StarminerEvent>({
      bus: b,
      pool,
      schema,
      groupId: uniqueName('ci-settle'),
      topics: [Topics.job],
      registry: starminerRegistry(),
      scope,
      logger: silentLogger,
      handler: recordSettlementIntents(record, schema),
    });
    await consumer.start();
    const signerOpts = {
      pool,
      schema,
      rpcUrl: fx.chain.url,
      deployments: fx.deployments,
      privateKey: DEV_SETTLER_KEY,
      bumpAfterMs: 60_000,
      logger: silentLogger,
    };
    let signer = new SettlementSigner(signerOpts);

    const registry = starminerRegistry();
    const succeeded: StarminerEvent = {
      ...eventsV1.JobSucceeded.fromPartial({
        jobId: uuid,
        clientId: 'tenant-1',
        placement: {
          provider: addressOf(PROVIDER_INDEX).toLowerCase(),
          region: 'eu-west',
          pool: 'h100',
        },
        usage: { gpuSeconds: '600', cost: { baseUnits: (AGPU('0.0001') * 600n).toString() } },
      }),
      type: 'JobSucceeded',
    };
    const env = completeEnvelope(registry, matchmaker, uuid, 9, succeeded);
    const message = {
      topic: Topics.job,
      key: uuid,
      value: encodeEnvelope(registry, env),
      headers: { 'event-id': env.eventId },
    };
    const producer = b.producer();
    await producer.connect();
    // The same event twice (a redelivery), and a second terminal event of the same job.
    const second = completeEnvelope(registry, matchmaker, uuid, 10, { ...succeeded });
    await producer.send([
      message,
      message,
      { ...message, value: encodeEnvelope(registry, second) },
    ]);

    await waitUntil('intent recorded', async () => {
      const r = await pool.query(`SELECT 1 FROM "${schema}".settlement_intents WHERE job_id = $1`, [
        jobIdFromUuid(uuid),
      ]);
      return r.rowCount ? true : undefined;
    });
    await signer.pass();
    // Restart: a fresh signer over the same tables before the transaction is even mined-and-mirrored.
    signer.close();
    signer = new SettlementSigner(signerOpts);
    await signer.pass();
    await signer.pass();

    // The indexer mirrors the settlement: only that confirms the intent.
    await waitUntil('settlement mirrored and confirmed', async () => {
      await indexUntil(ix, await headNumber(fx.chain));
      await signer.pass();
      const r = await pool.query<{ status: string }>(
        `SELECT status FROM "${schema}".settlement_intents WHERE job_id = $1`,
        [jobIdFromUuid(uuid)],
      );
      return r.rows[0]?.status === 'confirmed' ? true : undefined;
    });
    // A settlement the contract would refuse (the provider is not active) is recorded as failed
    // with the contract's reason, and never sent.
    const refused = randomUUID();
    const [call2] = await fundCalls(fx, 'refused', 1, [jobIdFromUuid(refused)]);
    await fx.chain.rpc('eth_sendTransaction', [
      { from: call2!.from, to: call2!.to, data: call2!.data },
    ]);
    const outsider = addressOf(ACCOUNT.outsider).toLowerCase();
    const refusedEnv = completeEnvelope(registry, matchmaker, refused, 9, {
      ...succeeded,
      jobId: refused,
      placement: { provider: outsider, region: 'eu-west', pool: 'h100', node: '' },
    } as StarminerEvent);
    await producer.send([
      { topic: Topics.job, key: refused, value: encodeEnvelope(registry, refusedEnv) },
    ]);
    const failed = await waitUntil('refused settlement recorded as failed', async () => {
      await signer.pass();
      const r = await pool.query<{ status: string; detail: string }>(
        `SELECT status, detail FROM "${schema}".settlement_intents WHERE job_id = $1`,
        [jobIdFromUuid(refused)],
      );
      return r.rows[0]?.status === 'failed' ? r.rows[0] : undefined;
    });
    expect(failed.detail).toMatch(/^ProviderNotActive\(/);
    // Every event was the deployment's, from the matchmaker: none refused by the scope.
    expect(consumer.stats.refused).toBe(0);

    await signer.pass();
    signer.close();
    await consumer.stop();
    await producer.disconnect();
    await b.close();

    const nonceAfter = await fx.chain.provider.getTransactionCount(settler, 'latest');
    expect(nonceAfter - nonceBefore).toBe(1);
    const txs = await pool.query(`SELECT tx_hash FROM "${schema}".settlement_txs`);
    // One settlement transaction in all: none twice for the first job, none for the refused one.
    expect(txs.rowCount).toBe(1);
    const escrow = await pool.query(
      `SELECT status, gpu_seconds::text FROM "${schema}".escrows WHERE job_id = $1`,
      [jobIdFromUuid(uuid)],
    );
    expect(escrow.rows).toEqual([{ status: 'settled', gpu_seconds: '600' }]);
    const announced = await pool.query(
      `SELECT count(*) AS n FROM "${schema}".outbox WHERE headers->>'event-type' = 'EscrowSettled' AND message_key = $1`,
      [uuid],
    );
    expect(Number(announced.rows[0].n)).toBe(1);
  });
});
