import { type Pool } from 'pg';
import { type Tx } from '@starminer/eventing';
import {
  type MarketReads,
  type MarketWrites,
  type RegisteredNode,
  type TierPrice,
} from '../../app/ports';

/**
 * The capacity read model: `nodes` and `providers` from the registry's events, `prices` from
 * pricing's. Written by the consumer inside its transaction; read by matching and rerouting.
 */
export class PgMarketReads implements MarketReads {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async nodes(): Promise<RegisteredNode[]> {
    const rows = await this.pool.query<{
      region: string;
      node: string;
      provider: string;
      pool: string;
      product: string;
      memory_mib: number;
      gpus: number;
      quarantined: boolean;
    }>(`SELECT * FROM ${this.schema}.nodes`);
    return rows.rows.map((r) => ({
      region: r.region,
      node: r.node,
      provider: r.provider,
      pool: r.pool,
      product: r.product,
      memoryMiB: r.memory_mib,
      gpus: r.gpus,
      quarantined: r.quarantined,
    }));
  }

  async activeProviders(): Promise<string[]> {
    const r = await this.pool.query<{ provider: string }>(
      `SELECT provider FROM ${this.schema}.providers WHERE active`,
    );
    return r.rows.map((p) => p.provider);
  }

  async prices(): Promise<TierPrice[]> {
    const r = await this.pool.query<{
      product: string;
      region: string;
      urgency: number;
      price: string;
    }>(`SELECT * FROM ${this.schema}.prices`);
    return r.rows.map((p) => ({
      product: p.product,
      region: p.region,
      urgency: p.urgency,
      price: BigInt(p.price),
    }));
  }

  async pricesIn(region: string, urgency: number): Promise<TierPrice[]> {
    const r = await this.pool.query<{ product: string; price: string }>(
      `SELECT product, price FROM ${this.schema}.prices WHERE region = $1 AND urgency = $2`,
      [region, urgency],
    );
    return r.rows.map((p) => ({ product: p.product, region, urgency, price: BigInt(p.price) }));
  }
}

/** The capacity read model's writes, in the consumer's transaction `tx`. */
export function pgMarketWrites(tx: Tx, schema: string): MarketWrites {
  const t = schema;
  return {
    async putNode(n) {
      await tx.query(
        `INSERT INTO ${t}.nodes (region, node, provider, pool, product, memory_mib, gpus, quarantined)
           VALUES ($1, $2, $3, $4, $5, $6, $7, false)
           ON CONFLICT (region, node) DO UPDATE SET provider = $3, pool = $4, product = $5, memory_mib = $6, gpus = $7, quarantined = false`,
        [n.region, n.node, n.provider, n.pool, n.product, n.memoryMiB, n.gpus],
      );
    },
    async changeNodeCapacity(region, node, c) {
      await tx.query(
        `UPDATE ${t}.nodes SET product = $3, memory_mib = $4, gpus = $5, pool = $6 WHERE region = $1 AND node = $2`,
        [region, node, c.product, c.memoryMiB, c.gpus, c.pool],
      );
    },
    async setNodeQuarantined(region, node, quarantined) {
      await tx.query(`UPDATE ${t}.nodes SET quarantined = $3 WHERE region = $1 AND node = $2`, [
        region,
        node,
        quarantined,
      ]);
    },
    async removeNode(region, node) {
      await tx.query(`DELETE FROM ${t}.nodes WHERE region = $1 AND node = $2`, [region, node]);
    },
    async setProviderActive(provider, active) {
      await tx.query(
        `INSERT INTO ${t}.providers (provider, active) VALUES ($1, $2) ON CONFLICT (provider) DO UPDATE SET active = $2`,
        [provider, active],
      );
    },
    async setPrice(p) {
      await tx.query(
        `INSERT INTO ${t}.prices (product, region, urgency, price) VALUES ($1, $2, $3, $4)
           ON CONFLICT (product, region, urgency) DO UPDATE SET price = $4`,
        [p.product, p.region, p.urgency, p.price.toString()],
      );
    },
  };
}
