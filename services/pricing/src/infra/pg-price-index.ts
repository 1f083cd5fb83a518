import { type Pool } from 'pg';
import { quoteSchema, type Tx } from '@starminer/eventing';
import { type PricePoint } from '../domain/replay';
import { parseTierKey, type Urgency } from '../domain/tier';
import { type PriceIndexReader, type PriceIndexWriter, type StoredPrice } from '../app/ports';

interface Row {
  id: string;
  tier: string;
  gpu_class: string;
  region: string;
  urgency: Urgency;
  at: Date;
  price: string;
  previous: string;
  queued_gpus: number;
  free_gpus: number;
  strategy: string;
}

const toStored = (r: Row): StoredPrice => ({
  id: BigInt(r.id),
  tier: r.tier,
  gpuClass: r.gpu_class,
  region: r.region,
  urgency: r.urgency,
  at: r.at,
  price: BigInt(r.price),
  previous: BigInt(r.previous),
  queuedGpus: r.queued_gpus,
  freeGpus: r.free_gpus,
  strategy: r.strategy,
});

const COLUMNS =
  'id, tier, gpu_class, region, urgency, at, price, previous, queued_gpus, free_gpus, strategy';

/**
 * The public price index in Postgres: every price set, by tier and time. Written through a
 * tick's transaction, read through the pool.
 */
export class PgPriceIndex implements PriceIndexWriter, PriceIndexReader {
  private readonly s: string;

  constructor(
    private readonly db: Pool | Tx,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  async record(tickSeq: bigint, strategy: string, points: PricePoint[]): Promise<void> {
    if (points.length === 0) return;
    const tiers = points.map((p) => parseTierKey(p.tier));
    await this.db.query(
      `INSERT INTO ${this.s}.price_history
         (tick_seq, tier, gpu_class, region, urgency, at, price, previous, queued_gpus, free_gpus, strategy)
       SELECT $1::bigint, u.tier, u.gpu_class, u.region, u.urgency, u.at, u.price, u.previous, u.queued,
              u.free, $11::text
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::numeric[],
                     $8::numeric[], $9::int[], $10::int[])
           AS u(tier, gpu_class, region, urgency, at, price, previous, queued, free)`,
      [
        tickSeq.toString(),
        points.map((p) => p.tier),
        tiers.map((t) => t.gpuClass),
        tiers.map((t) => t.region),
        tiers.map((t) => t.urgency),
        points.map((p) => new Date(p.at).toISOString()),
        points.map((p) => p.price.toString()),
        points.map((p) => p.previous.toString()),
        points.map((p) => p.queuedGpus),
        points.map((p) => p.freeGpus),
        strategy,
      ],
    );
  }

  /** Latest price of every tier (optionally of one region) and the index version. */
  async book(region?: string): Promise<{ version: bigint; prices: StoredPrice[] }> {
    const prices = await this.db.query<Row>(
      `SELECT DISTINCT ON (tier) ${COLUMNS} FROM ${this.s}.price_history
        WHERE ($1::text IS NULL OR region = $1) ORDER BY tier, id DESC`,
      [region || null],
    );
    const v = await this.db.query<{ v: string | null }>(
      `SELECT max(id) AS v FROM ${this.s}.price_history`,
    );
    return { version: BigInt(v.rows[0]?.v ?? '0'), prices: prices.rows.map(toStored) };
  }

  /** Points of one tier after `afterId`, oldest first, within optional time bounds. */
  async history(q: {
    tier: string;
    afterId: bigint;
    from?: Date;
    to?: Date;
    limit: number;
  }): Promise<StoredPrice[]> {
    const r = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.s}.price_history
        WHERE tier = $1 AND id > $2 AND ($3::timestamptz IS NULL OR at >= $3)
          AND ($4::timestamptz IS NULL OR at <= $4)
        ORDER BY id LIMIT $5`,
      [q.tier, q.afterId.toString(), q.from ?? null, q.to ?? null, q.limit],
    );
    return r.rows.map(toStored);
  }

  /** Every point in id order (index verification). */
  async all(): Promise<StoredPrice[]> {
    const r = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.s}.price_history ORDER BY id`,
    );
    return r.rows.map(toStored);
  }
}
