import os from 'node:os';
import { Pool } from 'pg';
import { ServiceProcess } from './service-process';
import { requireStackVar } from './stack';
import { waitUntil } from './wait';

export interface Replica {
  process: ServiceProcess;
  httpPort: number;
}

/** A lease's tenure as the service's `<schema>.leases` table records it. */
export interface Tenure {
  holder: string;
  epoch: number;
  taken_at: Date;
}

/** A lease as one replica reports it on `/leases`. */
export interface ReplicaLease {
  lease: string;
  leader: boolean;
  epoch: number;
  /** Passes run by this replica (loops that count them). */
  passes?: number;
}

/**
 * Replicas of one built service (`services/<name>/dist/main.js`) on one schema, for the
 * two-replica takeover tests: starts them, reads who holds each lease from the schema and from
 * each replica's `/leases`, and SIGKILLs the holder to measure how soon a standby takes over.
 */
export class ServiceReplicas {
  private readonly all: Replica[] = [];
  readonly pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 2 });

  /** `env` must set DATABASE_SCHEMA to `schema`; the ports are the OS's (HTTP_PORT=0). */
  constructor(
    private readonly service: string,
    private readonly schema: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts one more replica and waits until it is ready. */
  async add(): Promise<Replica> {
    const process = new ServiceProcess(this.service, {
      ...this.env,
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'info',
    });
    // Listed before it reports its port, so close() kills it even if it never starts.
    const replica: Replica = { process, httpPort: 0 };
    this.all.push(replica);
    const { httpPort } = await process.started();
    replica.httpPort = httpPort;
    await waitUntil(`${this.service} replica ${process.pid} ready`, async () => {
      const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    });
    return replica;
  }

  live(): Replica[] {
    return this.all.filter((r) => r.process.alive());
  }

  async tenure(lease: string): Promise<Tenure | undefined> {
    const r = await this.pool
      .query<Tenure>(
        `SELECT holder, epoch::int, taken_at FROM "${this.schema}".leases WHERE name = $1`,
        [lease],
      )
      .catch(() => ({ rows: [] as Tenure[] }));
    return r.rows[0];
  }

  /** The leases `replica` reports on `/leases`, by name. */
  async leasesOf(replica: Replica): Promise<Map<string, ReplicaLease>> {
    const body = (await (await fetch(`http://127.0.0.1:${replica.httpPort}/leases`)).json()) as {
      leases: ReplicaLease[];
    };
    return new Map(body.leases.map((l) => [l.lease, l]));
  }

  /**
   * SIGKILLs the live replica holding every lease of `leases` after checking that it alone
   * reports leading each of them and that every standby has run no pass; then waits for a new
   * tenure of each held by another replica. Returns the takeover time of each lease: from the
   * kill to the new tenure's `taken_at`.
   */
  async killHolder(leases: readonly string[]): Promise<Record<string, number>> {
    const held = new Map<string, Tenure>();
    await waitUntil(`one replica holding ${leases.join(', ')}`, async () => {
      held.clear();
      for (const lease of leases) {
        const t = await this.tenure(lease);
        if (t) held.set(lease, t);
      }
      const holders = new Set([...held.values()].map((t) => t.holder));
      return held.size === leases.length && holders.size === 1 ? true : undefined;
    });
    const holder = held.get(leases[0]!)!.holder;
    const leader = this.live().find((r) => holder === `${os.hostname()}/${r.process.pid}`);
    if (!leader) throw new Error(`no live replica is ${holder}`);
    for (const r of this.live()) {
      const mine = await this.leasesOf(r);
      for (const lease of leases) {
        const l = mine.get(lease);
        if (l?.leader !== (r === leader))
          throw new Error(`replica ${r.process.pid} reports leader=${l?.leader} for ${lease}`);
        if (r !== leader && l.passes !== undefined && l.passes !== 0)
          throw new Error(`standby ${r.process.pid} ran ${l.passes} passes of ${lease}`);
      }
    }
    const killedAt = Date.now();
    await leader.process.kill();
    const takeovers: Record<string, number> = {};
    for (const lease of leases) {
      const before = held.get(lease)!;
      const after = await waitUntil(
        `a new ${lease} tenure after epoch ${before.epoch}`,
        async () => {
          const t = await this.tenure(lease);
          return t && t.epoch > before.epoch ? t : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      if (after.holder === holder) throw new Error(`${lease} taken again by the killed ${holder}`);
      takeovers[lease] = after.taken_at.getTime() - killedAt;
    }
    return takeovers;
  }

  /** Kills every replica and drops the schema. */
  async close(): Promise<void> {
    for (const r of this.all) await r.process.kill();
    await this.pool.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`).catch(() => undefined);
    await this.pool.end();
  }
}
