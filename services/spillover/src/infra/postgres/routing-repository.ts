import { type Pool } from 'pg';
import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { type Tx } from '@starminer/eventing';
import { type LatencyNeed, type NodeFree, type WaitingJob } from '../../domain/routing-types';

/** A change to one job's row, from one job event (fields left out stay as they are). */
export interface JobChange {
  status?: string;
  region?: string;
  quoteRegion?: string;
  product?: string;
  quotePrice?: bigint;
  waitingSince?: Date;
  /** Placement holding GPUs; null releases them. */
  hold?: { region: string; node: string; gpus: number } | null;
  routingNote?: string;
}

export interface NewJob {
  jobId: string;
  gpus: number;
  minVramMiB: number;
  urgency: number;
  latency: LatencyNeed;
}

export interface NodeRow {
  region: string;
  node: string;
  product: string;
  memoryMiB: number;
  gpus: number;
}

/** Spillover's read model: written by the event consumer (in its transaction), read by the planner. */
export class RoutingRepository {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async insertJob(tx: Tx, j: NewJob, version: number): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.schema}.jobs (job_id, status, version, gpus, min_vram_mib, urgency, latency)
       VALUES ($1, 'Submitted', $2, $3, $4, $5, $6) ON CONFLICT (job_id) DO NOTHING`,
      [j.jobId, version, j.gpus, j.minVramMiB, j.urgency, JSON.stringify(j.latency)],
    );
  }

  /** Applies a change and moves the row's version forward (never back: redelivery is harmless). */
  async changeJob(tx: Tx, jobId: string, version: number, c: JobChange): Promise<void> {
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
    await tx.query(`UPDATE ${this.schema}.jobs SET ${sets.join(', ')} WHERE job_id = $1`, params);
  }

  async upsertNode(tx: Tx, n: NodeRow): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.schema}.nodes (region, node, product, memory_mib, gpus) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (region, node) DO UPDATE SET product = $3, memory_mib = $4, gpus = $5`,
      [n.region, n.node, n.product, n.memoryMiB, n.gpus],
    );
  }

  async setQuarantined(tx: Tx, region: string, node: string, q: boolean): Promise<void> {
    await tx.query(
      `UPDATE ${this.schema}.nodes SET quarantined = $3 WHERE region = $1 AND node = $2`,
      [region, node, q],
    );
  }

  async deleteNode(tx: Tx, region: string, node: string): Promise<void> {
    await tx.query(`DELETE FROM ${this.schema}.nodes WHERE region = $1 AND node = $2`, [
      region,
      node,
    ]);
  }

  async setPrice(
    tx: Tx,
    product: string,
    region: string,
    urgency: number,
    price: bigint,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.schema}.prices (product, region, urgency, price) VALUES ($1, $2, $3, $4)
       ON CONFLICT (product, region, urgency) DO UPDATE SET price = $4`,
      [product, region, urgency, price.toString()],
    );
  }

  /** Jobs waiting for a placement whose funded tier is known, with the note last recorded. */
  async waitingJobs(): Promise<Array<WaitingJob & { routingNote: string }>> {
    const r = await this.pool.query<{
      job_id: string;
      version: string;
      status: 'Queued' | 'Overflowed';
      region: string;
      quote_region: string;
      product: string;
      quote_price: string;
      gpus: number;
      min_vram_mib: number;
      urgency: number;
      latency: LatencyNeed;
      waiting_since: Date | null;
      routing_note: string;
    }>(
      `SELECT * FROM ${this.schema}.jobs WHERE status IN ('Queued', 'Overflowed') AND product <> ''`,
    );
    return r.rows.map((x) => ({
      jobId: x.job_id,
      version: Number(x.version),
      status: x.status,
      region: x.region,
      quoteRegion: x.quote_region,
      product: x.product,
      quotePrice: BigInt(x.quote_price),
      gpus: x.gpus,
      minVramMiB: x.min_vram_mib,
      urgency: x.urgency,
      latency: x.latency,
      waitingSinceMs: (x.waiting_since ?? new Date(0)).getTime(),
      routingNote: x.routing_note,
    }));
  }

  /** Free GPUs per healthy node: allocatable minus the GPUs of jobs matched or running there. */
  async freeNodes(): Promise<NodeFree[]> {
    const r = await this.pool.query<{
      region: string;
      node: string;
      product: string;
      memory_mib: number;
      free: number;
    }>(
      `SELECT n.region, n.node, n.product, n.memory_mib,
              n.gpus - COALESCE((SELECT sum(j.held_gpus) FROM ${this.schema}.jobs j
                 WHERE j.held_gpus > 0 AND j.held_region = n.region AND j.held_node = n.node), 0)::int AS free
         FROM ${this.schema}.nodes n WHERE NOT n.quarantined`,
    );
    return r.rows.map((x) => ({
      region: x.region,
      node: x.node,
      product: x.product,
      memoryMiB: x.memory_mib,
      free: Number(x.free),
    }));
  }

  async prices(): Promise<Map<string, bigint>> {
    const r = await this.pool.query<{
      product: string;
      region: string;
      urgency: number;
      price: string;
    }>(`SELECT * FROM ${this.schema}.prices`);
    return new Map(r.rows.map((p) => [priceKey(p.product, p.region, p.urgency), BigInt(p.price)]));
  }
}

/** Tier key: prices are per GPU class (pricing names a tier by the class's canonical label). */
export const priceKey = (product: string, region: string, urgency: number): string => {
  const cls = resolveGpuClass(product);
  return `${cls === 'unknown' ? product : cls}|${region}|${urgency}`;
};
