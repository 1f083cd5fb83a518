import { quoteSchema, type Tx } from '@starminer/eventing';
import { type ScoreBreakdown } from '../domain/score';

type Queryable = Pick<Tx, 'query'>;

/** A stored score: the breakdown without its evidence list (ExplainScore recomputes that). */
export type StoredBreakdown = Omit<ScoreBreakdown, 'contributions'>;

export interface StoredScore {
  provider: string;
  /** '' for the provider's overall score. */
  pool: string;
  scoreBps: number;
  asOfMs: number;
  breakdown: StoredBreakdown;
}

export type SortField = 'score' | 'provider' | 'updated';

export interface ListQuery {
  pools: boolean;
  provider?: string;
  sort: SortField;
  descending: boolean;
  limit: number;
  /** Keyset cursor: the last row of the previous page. */
  after?: { value: string; provider: string; pool: string };
}

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

export class ScoreRepository {
  private readonly s: string;
  constructor(schema: string) {
    this.s = quoteSchema(schema);
  }

  async get(tx: Queryable, provider: string, pool: string): Promise<StoredScore | undefined> {
    const { rows } = await tx.query<Row>(
      `SELECT * FROM ${this.s}.scores WHERE provider = $1 AND pool = $2`,
      [provider, pool],
    );
    return rows[0] ? toScore(rows[0]) : undefined;
  }

  async save(tx: Queryable, provider: string, pool: string, b: ScoreBreakdown): Promise<void> {
    const { contributions: _omit, ...stored } = b;
    await tx.query(
      `INSERT INTO ${this.s}.scores VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (provider, pool) DO UPDATE SET score_bps = $3, as_of_ms = $4, breakdown = $5`,
      [provider, pool, b.scoreBps, b.asOfMs, JSON.stringify(stored)],
    );
  }

  /** Pools of a provider that have a score. */
  async poolsOf(tx: Queryable, provider: string): Promise<string[]> {
    const { rows } = await tx.query<{ pool: string }>(
      `SELECT pool FROM ${this.s}.scores WHERE provider = $1 AND pool <> '' ORDER BY pool`,
      [provider],
    );
    return rows.map((r) => r.pool);
  }

  /** Provider-level scores of every provider. */
  async providers(tx: Queryable): Promise<StoredScore[]> {
    const { rows } = await tx.query<Row>(
      `SELECT * FROM ${this.s}.scores WHERE pool = '' ORDER BY provider`,
    );
    return rows.map(toScore);
  }

  /** One page in the requested order; ties broken by (provider, pool) in the same direction. */
  async list(tx: Queryable, q: ListQuery): Promise<StoredScore[]> {
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
    const { rows } = await tx.query<Row>(
      `SELECT * FROM ${this.s}.scores WHERE ${where.join(' AND ')}
       ORDER BY ${col} ${dir}, provider ${dir}, pool ${dir} LIMIT $${params.length}`,
      params,
    );
    return rows.map(toScore);
  }

  sortValue(score: StoredScore, sort: SortField): string {
    return sort === 'score'
      ? String(score.scoreBps)
      : sort === 'provider'
        ? score.provider
        : String(score.asOfMs);
  }
}
