import { type Pool } from 'pg';
import { withTransaction } from '@starminer/eventing';
import { type EpochTransaction, type EpochUnitOfWork } from '../app/ports';
import { PgEvidence } from './pg-evidence';
import { PgRewardEpochs } from './pg-reward-epochs';
import { PgScores } from './pg-scores';

/**
 * The epoch runner's transactions: withTransaction on the pool, the runner's lock a
 * transaction-scoped advisory lock on `lockKey` (one runner at a time across replicas).
 */
export class PgEpochRuns implements EpochUnitOfWork {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly lockKey: string,
  ) {}

  transact<T>(work: (tx: EpochTransaction) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, (tx) =>
      work({
        tryLock: async () => {
          const { rows } = await tx.query<{ ok: boolean }>(
            'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok',
            [this.lockKey],
          );
          return !!rows[0]?.ok;
        },
        commit: async () => {
          await tx.query('COMMIT');
          await tx.query('BEGIN');
        },
        epochs: new PgRewardEpochs(tx, this.schema),
        evidence: new PgEvidence(tx, this.schema),
        scores: new PgScores(tx, this.schema),
      }),
    );
  }
}
