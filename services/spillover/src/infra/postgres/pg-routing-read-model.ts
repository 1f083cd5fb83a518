import { type Pool } from 'pg';
import { type RoutingReadModel, type WaitingJobView } from '../../app/ports';
import { type LatencyNeed, type NodeFree } from '../../domain/routing-types';
import { type TierPrice } from '../../domain/tier-prices';

/** Spillover's read model as the planner reads it (outside any consumer transaction). */
export class PgRoutingReadModel implements RoutingReadModel {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async waitingJobs(): Promise<WaitingJobView[]> {
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
}
