import { quoteSchema, type Tx } from '@starminer/eventing';
import { type ScoreBreakdown } from '../domain/score';
import {
  type ListQuery,
  type ScoreStore,
  type SortField,
  type StoredBreakdown,
  type StoredScore,
} from '../app/ports';

type Queryable = Pick<Tx, 'query'>;

const COLUMN: Record<SortField, string> = {
  score: 'score_bps',
  provider: 'provider',
  updated: 'as_of_ms',
};

interface Row {
  provider: string;
  pool: string;
  score_bps: number;
  as_of_ms: string;
  breakdown: StoredBreakdown;
}
const toScore = (r: Row): StoredScore => ({
  provider: r.provider,
  pool: r.pool,
  scoreBps: r.score_bps,
  asOfMs: Number(r.as_of_ms),
  breakdown: r.breakdown,
});

/** Provider and pool scores in the service's schema, through `db` (a transaction or the pool). */
export class PgScores implements ScoreStore {
  private readonly s: string;
  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  async get(provider: string, pool: string): Promise<StoredScore | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM ${this.s}.scores WHERE provider = $1 AND pool = $2`,
      [provider, pool],
    );
    return rows[0] ? toScore(rows[0]) : undefined;
  }

  async save(provider: string, pool: string, b: ScoreBreakdown): Promise<void> {
    const { contributions: _omit, ...stored } = b;
    await this.db.query(
      `INSERT INTO ${this.s}.scores VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (provider, pool) DO UPDATE SET score_bps = $3, as_of_ms = $4, breakdown = $5`,
      [provider, pool, b.scoreBps, b.asOfMs, JSON.stringify(stored)],
    );
  }

  /** Pools of a provider that have a score. */
  async poolsOf(provider: string): Promise<string[]> {
    const { rows } = await this.db.query<{ pool: string }>(
      `SELECT pool FROM ${this.s}.scores WHERE provider = $1 AND pool <> '' ORDER BY pool`,
      [provider],
    );
    return rows.map((r) => r.pool);
  }

  /** Provider-level scores of every provider. */
  async providers(): Promise<StoredScore[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM ${this.s}.scores WHERE pool = '' ORDER BY provider`,
    );
    return rows.map(toScore);
  }

  /** One page in the requested order; ties broken by (provider, pool) in the same direction. */
  async list(q: ListQuery): Promise<StoredScore[]> {
    const col = COLUMN[q.sort];
    const dir = q.descending ? 'DESC' : 'ASC';
    const cmp = q.descending ? '<' : '>';
    const params: unknown[] = [];
    const where = [q.pools ? `pool <> ''` : `pool = ''`];
    if (q.provider) {
      params.push(q.provider);
      where.push(`provider = $${params.length}`);
    }
    if (q.after) {
      const cast = q.sort === 'provider' ? 'text' : 'bigint';
      params.push(q.after.value, q.after.provider, q.after.pool);
      const n = params.length;
      where.push(`(${col}, provider, pool) ${cmp} ($${n - 2}::${cast}, $${n - 1}, $${n})`);
    }
    params.push(q.limit);
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM ${this.s}.scores WHERE ${where.join(' AND ')}
       ORDER BY ${col} ${dir}, provider ${dir}, pool ${dir} LIMIT $${params.length}`,
      params,
    );
    return rows.map(toScore);
  }
}
