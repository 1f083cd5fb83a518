import { randomUUID } from 'node:crypto';
import { type Pool } from 'pg';
import {
  catalogueTopics,
  jobEvents,
  migrateEventing,
  OutboxPublisher,
  OutboxRelay,
  Topics,
  withTransaction,
  type EventOrigin,
  type JobEvent,
} from '@starminer/eventing';
import { requireStackVar, testBus, waitUntil } from '@starminer/testing';

/**
 * Publishes job events on the job topic of this test file's namespace through an eventing outbox
 * and relay of its own, stamped with `origin` (the matchmaker of the gateway's deployment, as
 * `deployment.as('matchmaker').origin`, or a forged one), and returns once all are on Kafka.
 */
export async function publishJobEvents(
  pool: Pool,
  origin: EventOrigin,
  events: Array<{ aggregateId: string; aggregateVersion: number; event: JobEvent }>,
): Promise<void> {
  const outbox = `gw_out_${randomUUID().slice(0, 8)}`;
  await migrateEventing(pool, outbox);
  await withTransaction(pool, (tx) =>
    new OutboxPublisher(outbox, jobEvents, origin).publish(tx, events),
  );
  const bus = testBus(outbox);
  const producer = bus.producer();
  const relay = new OutboxRelay({
    pool,
    leaseConnection: { connectionString: requireStackVar('DATABASE_URL') },
    schema: outbox,
    producer,
  });
  try {
    await bus.ensureTopics(catalogueTopics([Topics.job]));
    await producer.connect();
    relay.start();
    await waitUntil('the outbox to be published', async () => {
      const r = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${outbox}".outbox WHERE published_at IS NULL`,
      );
      return r.rows[0]!.n === 0 ? true : undefined;
    });
  } finally {
    await relay.stop();
    await producer.disconnect().catch(() => undefined);
    await bus.close().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS "${outbox}" CASCADE`);
  }
}

/** A job's JobStarted (version 7) and JobCancelled (version 8), as the matchmaker writes them. */
export function startedThenCancelled(
  jobId: string,
  clientId: string,
): Array<{ aggregateId: string; aggregateVersion: number; event: JobEvent }> {
  return [
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
  ];
}

/**
 * Publishes JobStarted then JobCancelled for a job on the job topic with `origin` (the
 * matchmaker's of the gateway's deployment: `deployment.as('matchmaker').origin`), and returns
 * once both are on Kafka.
 */
export async function publishStartedThenCancelled(
  pool: Pool,
  jobId: string,
  clientId: string,
  origin: EventOrigin,
): Promise<void> {
  await publishJobEvents(pool, origin, startedThenCancelled(jobId, clientId));
}
