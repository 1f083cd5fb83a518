import { type Pool } from 'pg';
import { ConcurrencyError } from '../src/domain/errors';
import { retryOnConflict } from '../src/command-retry';
import { PgEventStore } from '../src/postgres/event-store';
import { withTransaction } from '../src/postgres/transaction';
import { migrateEventing } from '../src/postgres/migrations';
import { type StarminerEvent } from '../src/catalogue/starminer-events';
import { dropSchema, jobOrigin, jobQueued, newPool, newSchema, registry } from './support/harness';

// The integration project's testTimeout is not applied per project, so set it here.
jest.setTimeout(240_000);

describe('PgEventStore (real Postgres)', () => {
  let pool: Pool;
  let schema: string;
  let store: PgEventStore<StarminerEvent>;

  beforeAll(async () => {
    pool = newPool();
    schema = await newSchema(pool, 'es');
    store = new PgEventStore(pool, schema, registry, jobOrigin);
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('runs its migrations idempotently, concurrently', async () => {
    await Promise.all([migrateEventing(pool, schema), migrateEventing(pool, schema)]);
  });

  it('given two writers at the same version, one wins and the other gets ConcurrencyError', async () => {
    const results = await Promise.allSettled([
      store.append('job-race', 0, [jobQueued('job-race')]),
      store.append('job-race', 0, [jobQueued('job-race')]),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConcurrencyError);
    expect((lost[0]!.reason as ConcurrencyError).retryable).toBe(true);
    expect(await store.readStream('job-race')).toHaveLength(1);
  });

  it('given a stale expected version, rejects without a race', async () => {
    await store.append('job-stale', 0, [jobQueued('job-stale'), jobQueued('job-stale')]);
    await expect(store.append('job-stale', 1, [jobQueued('job-stale')])).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      actualVersion: 2,
    });
  });

  it('retries a command on conflict until it decides on the current state', async () => {
    // Ten concurrent commands each append one event after loading the stream.
    await Promise.all(
      Array.from({ length: 10 }, () =>
        retryOnConflict(
          async () => {
            const { version } = await store.aggregate('job-busy', (n: number) => n + 1, 0);
            await store.append('job-busy', version, [jobQueued('job-busy')]);
          },
          { maxAttempts: 50 },
        ),
      ),
    );
    const { state, version } = await store.aggregate('job-busy', (n: number) => n + 1, 0);
    expect({ state, version }).toEqual({ state: 10, version: 10 });
  });

  it('writes outbox rows in the same transaction as the events, and none on rollback', async () => {
    await expect(
      withTransaction(pool, async (tx) => {
        await store.appendInTransaction(tx, 'job-rolled-back', 0, [jobQueued('job-rolled-back')]);
        throw new Error('handler failed after appending');
      }),
    ).rejects.toThrow('handler failed');
    const { envelopes } = await store.append('job-kept', 0, [
      { event: jobQueued('job-kept'), meta: { causationId: 'cmd-1', correlationId: 'flow-1' } },
    ]);
    const outbox = await pool.query(
      `SELECT event_id, topic, message_key, headers->>'deployment-id' AS deployment, headers->>'producer' AS producer
         FROM "${schema}".outbox WHERE message_key LIKE 'job-%ed' OR message_key = 'job-kept'`,
    );
    // Stamped with the store's origin: its deployment and its service.
    expect(outbox.rows).toEqual([
      {
        event_id: envelopes[0]!.eventId,
        topic: 'starminer.job.v1',
        message_key: 'job-kept',
        deployment: jobOrigin.deploymentId,
        producer: 'matchmaker',
      },
    ]);
    const [read] = await store.readStream('job-kept');
    expect(read).toMatchObject({
      aggregateVersion: 1,
      causationId: 'cmd-1',
      correlationId: 'flow-1',
      type: 'JobQueued',
      deploymentId: jobOrigin.deploymentId,
      producer: 'matchmaker',
    });
    expect(read!.event).toMatchObject({ type: 'JobQueued', jobId: 'job-kept' });
  });
});
