import { type Tx } from '@starminer/eventing';
import { type JobChange, type NewJob, type NodeRow, type RoutingProjection } from '../../app/ports';

/** Spillover's read model written in the event consumer's transaction (with its inbox row). */
export class PgRoutingProjection implements RoutingProjection {
  constructor(
    private readonly tx: Tx,
    private readonly schema: string,
  ) {}

  async insertJob(j: NewJob, version: number): Promise<void> {
    await this.tx.query(
      `INSERT INTO ${this.schema}.jobs (job_id, status, version, gpus, min_vram_mib, urgency, latency)
       VALUES ($1, 'Submitted', $2, $3, $4, $5, $6) ON CONFLICT (job_id) DO NOTHING`,
      [j.jobId, version, j.gpus, j.minVramMiB, j.urgency, JSON.stringify(j.latency)],
    );
  }

  async changeJob(jobId: string, version: number, c: JobChange): Promise<void> {
    const sets: string[] = ['version = GREATEST(version, $2)', 'updated_at = now()'];
    const params: unknown[] = [jobId, version];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (c.status !== undefined) set('status', c.status);
    if (c.region !== undefined) set('region', c.region);
    if (c.quoteRegion !== undefined) set('quote_region', c.quoteRegion);
    if (c.product !== undefined) set('product', c.product);
    if (c.quotePrice !== undefined) set('quote_price', c.quotePrice.toString());
    if (c.waitingSince !== undefined) set('waiting_since', c.waitingSince);
    if (c.routingNote !== undefined) set('routing_note', c.routingNote);
    if (c.hold === null) {
      set('held_gpus', 0);
    } else if (c.hold) {
      set('held_region', c.hold.region);
      set('held_node', c.hold.node);
      set('held_gpus', c.hold.gpus);
    }
    await this.tx.query(
      `UPDATE ${this.schema}.jobs SET ${sets.join(', ')} WHERE job_id = $1`,
      params,
    );
  }

  async upsertNode(n: NodeRow): Promise<void> {
    await this.tx.query(
      `INSERT INTO ${this.schema}.nodes (region, node, product, memory_mib, gpus) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (region, node) DO UPDATE SET product = $3, memory_mib = $4, gpus = $5`,
      [n.region, n.node, n.product, n.memoryMiB, n.gpus],
    );
  }

  async setQuarantined(region: string, node: string, q: boolean): Promise<void> {
    await this.tx.query(
      `UPDATE ${this.schema}.nodes SET quarantined = $3 WHERE region = $1 AND node = $2`,
      [region, node, q],
    );
  }

  async deleteNode(region: string, node: string): Promise<void> {
    await this.tx.query(`DELETE FROM ${this.schema}.nodes WHERE region = $1 AND node = $2`, [
      region,
      node,
    ]);
  }

  async setPrice(product: string, region: string, urgency: number, price: bigint): Promise<void> {
    await this.tx.query(
      `INSERT INTO ${this.schema}.prices (product, region, urgency, price) VALUES ($1, $2, $3, $4)
       ON CONFLICT (product, region, urgency) DO UPDATE SET price = $4`,
      [product, region, urgency, price.toString()],
    );
  }
}
