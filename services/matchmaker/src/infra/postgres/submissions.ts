import { type Pool } from 'pg';
import { type Tx, withTransaction } from '@starminer/eventing';
import { type SubmissionKeys, type Submissions, type SubmitTransaction } from '../../app/ports';
import { type JobRepository } from './job-repository';

type Db = Pick<Pool, 'query'> | Tx;

/** SubmitJob's idempotency keys (`submissions`), over the pool or inside a transaction. */
function pgSubmissionKeys(db: Db, schema: string): SubmissionKeys {
  return {
    async jobOf(clientId, idempotencyKey) {
      const r = await db.query<{ job_id: string }>(
        `SELECT job_id FROM ${schema}.submissions WHERE client_id = $1 AND idempotency_key = $2`,
        [clientId, idempotencyKey],
      );
      return r.rows[0]?.job_id;
    },
    async claim(clientId, idempotencyKey, jobId) {
      const claimed = await db.query(
        `INSERT INTO ${schema}.submissions (client_id, idempotency_key, job_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING job_id`,
        [clientId, idempotencyKey, jobId],
      );
      return claimed.rowCount !== 0;
    },
  };
}

/** Submissions in Postgres: a submit's key claim and its job's first events in one transaction. */
export class PgSubmissions implements Submissions {
  readonly keys: SubmissionKeys;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly jobs: JobRepository,
  ) {
    this.keys = pgSubmissionKeys(pool, schema);
  }

  transact<T>(work: (tx: SubmitTransaction) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, (tx) =>
      work({ keys: pgSubmissionKeys(tx, this.schema), jobs: this.jobs.in(tx) }),
    );
  }
}
