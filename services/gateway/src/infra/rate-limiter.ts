import { type Pool } from 'pg';
import { type RateLimiter } from '../app/ports';
import { ApiError } from '../domain/errors';
import { type BucketPolicy, takeToken } from '../domain/token-bucket';

/**
 * Token buckets in Postgres, so every replica shares them and a restart forgets nothing. The
 * row is locked for the take, and time is the database's clock, the same for every replica.
 */
export class PostgresRateLimiter implements RateLimiter {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  /** Takes a token from every bucket named, or throws RATE_LIMITED with the longest wait. */
  async take(buckets: Array<{ bucket: string; policy: BucketPolicy }>): Promise<void> {
    const client = await this.pool.connect();
    let wait = 0;
    try {
      await client.query('BEGIN');
      for (const { bucket, policy } of [...buckets].sort((a, b) =>
        a.bucket.localeCompare(b.bucket),
      )) {
        await client.query(
          `INSERT INTO "${this.schema}".rate_buckets (bucket, tokens, at_ms)
           VALUES ($1, $2, (extract(epoch from clock_timestamp()) * 1000)::bigint)
           ON CONFLICT (bucket) DO NOTHING`,
          [bucket, policy.capacity],
        );
        const { rows } = await client.query<{ tokens: number; at_ms: string; now_ms: string }>(
          `SELECT tokens, at_ms, (extract(epoch from clock_timestamp()) * 1000)::bigint AS now_ms
           FROM "${this.schema}".rate_buckets WHERE bucket = $1 FOR UPDATE`,
          [bucket],
        );
        const row = rows[0]!;
        const r = takeToken(
          policy,
          { tokens: row.tokens, atMs: Number(row.at_ms) },
          Number(row.now_ms),
        );
        if (!r.allowed) wait = Math.max(wait, r.retryAfterSeconds);
        await client.query(
          `UPDATE "${this.schema}".rate_buckets SET tokens = $2, at_ms = $3 WHERE bucket = $1`,
          [bucket, r.state.tokens, r.state.atMs],
        );
      }
      // Refused: keep no partial takes, so a denied request costs nothing in the other buckets.
      await client.query(wait ? 'ROLLBACK' : 'COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    if (wait)
      throw new ApiError('RATE_LIMITED', `rate limit reached: retry after ${wait} s`, [], wait);
  }
}
