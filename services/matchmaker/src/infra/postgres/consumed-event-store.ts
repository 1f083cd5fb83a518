import { type Tx } from '@starminer/eventing';
import { CommandRejectedError, IllegalTransitionError } from '../../domain/errors';
import { type ConsumedEventStore, type JobStore } from '../../app/ports';
import { type JobRepository } from './job-repository';
import { pgMarketWrites } from './market-read-model';

/**
 * What applying one consumed event writes, bound to the consumer's transaction `tx` (its inbox
 * row is in it). Each job command runs under a savepoint: one the domain refuses is rolled back
 * to it, so the consumer's transaction, and the inbox row, can still commit.
 */
export function pgConsumedEventStore(
  tx: Tx,
  schema: string,
  jobs: JobRepository,
): ConsumedEventStore {
  const inTx = jobs.in(tx);
  const refusable: JobStore = {
    load: (jobId) => inTx.load(jobId),
    async execute(jobId, command, cause) {
      await tx.query('SAVEPOINT apply_job');
      try {
        const r = await inTx.execute(jobId, command, cause);
        await tx.query('RELEASE SAVEPOINT apply_job');
        return r;
      } catch (err) {
        if (err instanceof IllegalTransitionError || err instanceof CommandRejectedError)
          await tx.query('ROLLBACK TO SAVEPOINT apply_job');
        throw err;
      }
    },
  };
  return {
    jobs: refusable,
    market: pgMarketWrites(tx, schema),
    async hasJob(jobId) {
      const known = await tx.query(`SELECT 1 FROM ${schema}.jobs WHERE job_id = $1`, [jobId]);
      return !!known.rowCount;
    },
    async fundedBy(eventIds) {
      const funded = await tx.query<{ stream_id: string; causation_id: string }>(
        `SELECT stream_id, causation_id FROM ${schema}.events
        WHERE type = 'JobFunded' AND causation_id = ANY($1::text[])`,
        [eventIds],
      );
      return funded.rows.map((r) => ({ jobId: r.stream_id, eventId: r.causation_id }));
    },
  };
}
