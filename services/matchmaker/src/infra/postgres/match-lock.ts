import { type Pool } from 'pg';
import { type MatchLock } from '../../app/ports';

/**
 * The match lock as a Postgres session advisory lock on `<schema>.match`: held on one
 * connection for the whole round, so only one replica of the deployment matches at a time.
 */
export class PgMatchLock implements MatchLock {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async runExclusive(work: () => Promise<void>): Promise<boolean> {
    const lock = await this.pool.connect();
    try {
      const got = await lock.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_lock(hashtext($1)) AS ok`,
        [`${this.schema}.match`],
      );
      if (!got.rows[0]!.ok) return false;
      try {
        await work();
        return true;
      } finally {
        await lock.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`${this.schema}.match`]);
      }
    } finally {
      lock.release();
    }
  }
}
