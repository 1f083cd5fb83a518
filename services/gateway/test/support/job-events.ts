import { randomUUID } from 'node:crypto';
import { type Pool } from 'pg';
import {
  jobEvents,
  KafkaJsBus,
  migrateEventing,
  OutboxPublisher,
  OutboxRelay,
  withTransaction,
} from '@starminer/eventing';
import { requireStackVar, waitUntil } from '@starminer/testing';

/**
 * Publishes JobStarted then JobCancelled for a job on the job topic through an eventing outbox
 * and relay of its own, as the matchmaker publishes them, and returns once both are on Kafka.
 */
export async function publishStartedThenCancelled(
  pool: Pool,
  jobId: string,
  clientId: string,
): Promise<void> {
  const outbox = `gw_out_${randomUUID().slice(0, 8)}`;
  await migrateEventing(pool, outbox);
  await withTransaction(pool, (tx) =>
    new OutboxPublisher(outbox, jobEvents).publish(tx, [
      {
        aggregateId: jobId,
        aggregateVersion: 7,
        event: {
          type: 'JobStarted',
          jobId,
          placement: undefined,
          podName: 'p',
          attempt: 1,
          startedAt: new Date().toISOString(),
        },
      },
      {
        aggregateId: jobId,
        aggregateVersion: 8,
        event: {
          type: 'JobCancelled',
          jobId,
          clientId,
          cancelledBy: 1,
          previousState: 7,
          reason: 'test',
          placement: undefined,
          usage: undefined,
        } as never,
      },
    ]),
  );
  const producer = new KafkaJsBus({
    clientId: outbox,
    brokers: requireStackVar('KAFKA_BROKERS').split(','),
  }).producer();
  await producer.connect();
  const relay = new OutboxRelay({
    pool,
    leaseConnection: { connectionString: requireStackVar('DATABASE_URL') },
    schema: outbox,
    producer,
  });
  relay.start();
  try {
    await waitUntil('the outbox to be published', async () => {
      const r = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${outbox}".outbox WHERE published_at IS NULL`,
      );
      return r.rows[0]!.n === 0 ? true : undefined;
    });
  } finally {
    await relay.stop();
    await producer.disconnect();
    await pool.query(`DROP SCHEMA IF EXISTS "${outbox}" CASCADE`);
  }
}
