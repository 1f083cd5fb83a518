import { quoteSchema, type Tx } from '@starminer/eventing';
import { type GpuClass } from '@starminer/gpu-catalogue';
import { type Pool } from 'pg';
import { type NodeInventory, type NodeQuery } from '../../app/ports';
import { type NodeRecord, type NodeStatus } from '../../domain/node';

interface NodeRow {
  region: string;
  name: string;
  uid: string;
  provider: string;
  pool: string;
  gpu_product: string;
  gpu_class: GpuClass;
  gpu_memory_mib: number;
  capacity_gpus: number;
  allocatable_gpus: number;
  allocated_gpus: number;
  ready: boolean;
  cordoned: boolean;
  last_heartbeat: Date | null;
  status: NodeStatus;
  reason: string;
  message: string;
  verified: boolean;
  version: string;
  updated_at: Date;
}

function toRecord(r: NodeRow): NodeRecord {
  return {
    region: r.region,
    name: r.name,
    uid: r.uid,
    provider: r.provider,
    pool: r.pool,
    gpuProduct: r.gpu_product,
    gpuClass: r.gpu_class,
    gpuMemoryMiB: r.gpu_memory_mib,
    capacityGpus: r.capacity_gpus,
    allocatableGpus: r.allocatable_gpus,
    allocatedGpus: r.allocated_gpus,
    ready: r.ready,
    cordoned: r.cordoned,
    lastHeartbeat: r.last_heartbeat ?? undefined,
    status: r.status,
    reason: r.reason,
    message: r.message,
    verified: r.verified,
    version: Number(r.version),
    updatedAt: r.updated_at,
  };
}

/** The nodes table: reads through the pool, or (with `tx`) inside the caller's transaction. */
export class NodeRepository implements NodeInventory {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  /** Reads one node; with `tx`, row-locked so concurrent reconciles of a node serialise. */
  async get(region: string, name: string, tx?: Tx): Promise<NodeRecord | undefined> {
    const { rows } = await (tx ?? this.pool).query<NodeRow>(
      `SELECT * FROM ${this.s}.nodes WHERE region = $1 AND name = $2${tx ? ' FOR UPDATE' : ''}`,
      [region, name],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async list(q: NodeQuery = {}): Promise<NodeRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.region) add('region = ?', q.region);
    if (q.provider) add('provider = ?', q.provider.toLowerCase());
    if (q.pool) add('pool = ?', q.pool);
    if (q.status) add('status = ?', q.status);
    if (q.after) {
      args.push(q.after.region, q.after.name);
      where.push(`(region, name) > ($${args.length - 1}, $${args.length})`);
    }
    const limit = q.limit ? ` LIMIT ${Math.floor(q.limit)}` : '';
    const { rows } = await this.pool.query<NodeRow>(
      `SELECT * FROM ${this.s}.nodes${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
       ORDER BY region, name${limit}`,
      args,
    );
    return rows.map(toRecord);
  }

  async names(region: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT name FROM ${this.s}.nodes WHERE region = $1`,
      [region],
    );
    return rows.map((r) => r.name);
  }

  async namesOfProvider(provider: string): Promise<Array<{ region: string; name: string }>> {
    const { rows } = await this.pool.query<{ region: string; name: string }>(
      `SELECT region, name FROM ${this.s}.nodes WHERE provider = $1`,
      [provider.toLowerCase()],
    );
    return rows;
  }

  async save(tx: Tx, n: NodeRecord): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.s}.nodes (region, name, uid, provider, pool, gpu_product, gpu_class,
         gpu_memory_mib, capacity_gpus, allocatable_gpus, allocated_gpus, ready, cordoned,
         last_heartbeat, status, reason, message, verified, version, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
       ON CONFLICT (region, name) DO UPDATE SET uid=$3, provider=$4, pool=$5, gpu_product=$6,
         gpu_class=$7, gpu_memory_mib=$8, capacity_gpus=$9, allocatable_gpus=$10,
         allocated_gpus=$11, ready=$12, cordoned=$13, last_heartbeat=$14, status=$15, reason=$16,
         message=$17, verified=$18, version=$19, updated_at=$20`,
      [
        n.region,
        n.name,
        n.uid,
        n.provider,
        n.pool,
        n.gpuProduct,
        n.gpuClass,
        n.gpuMemoryMiB,
        n.capacityGpus,
        n.allocatableGpus,
        n.allocatedGpus,
        n.ready,
        n.cordoned,
        n.lastHeartbeat ?? null,
        n.status,
        n.reason,
        n.message,
        n.verified,
        n.version,
        n.updatedAt,
      ],
    );
  }

  async delete(tx: Tx, region: string, name: string): Promise<void> {
    await tx.query(`DELETE FROM ${this.s}.nodes WHERE region = $1 AND name = $2`, [region, name]);
  }
}
