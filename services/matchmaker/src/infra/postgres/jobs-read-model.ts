import { type Pool } from 'pg';
import { type Reservation } from '../../domain/capacity';
import { type LiveJob } from '../../domain/reconcile';
import {
  type JobListing,
  type MatchQueueJobs,
  type TrackedJobs,
  type WaitingJob,
} from '../../app/ports';

/**
 * The jobs read model (`jobs`, one row per job, and `reservations`), both written by
 * JobRepository in the transaction of the job's events; read here by the match loop, the
 * Kubernetes tracker and the job queries.
 */
export class PgJobsReadModel implements MatchQueueJobs, TrackedJobs, JobListing {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  private async ids(where: string, params: unknown[] = []): Promise<string[]> {
    const r = await this.pool.query<{ job_id: string }>(
      `SELECT job_id FROM ${this.schema}.jobs WHERE ${where}`,
      params,
    );
    return r.rows.map((x) => x.job_id);
  }

  quoteExpiredBy(now: Date): Promise<string[]> {
    return this.ids(`status = 'Quoted' AND quote_expires_at <= $1`, [now]);
  }

  async queuedPastDeadline(now: Date): Promise<Array<{ jobId: string; queuedAt: Date }>> {
    const rows = await this.pool.query<{ job_id: string; queued_at: Date }>(
      `SELECT job_id, queued_at FROM ${this.schema}.jobs WHERE status = 'Queued' AND placement_deadline <= $1`,
      [now],
    );
    return rows.rows.map((r) => ({ jobId: r.job_id, queuedAt: r.queued_at }));
  }

  async waiting(): Promise<WaitingJob[]> {
    const queued = await this.pool.query<{
      job_id: string;
      client_id: string;
      urgency: number;
      queued_at: Date;
    }>(
      `SELECT job_id, client_id, urgency, queued_at FROM ${this.schema}.jobs WHERE status IN ('Queued', 'Overflowed')`,
    );
    return queued.rows.map((r) => ({
      jobId: r.job_id,
      clientId: r.client_id,
      urgency: r.urgency,
      queuedAt: r.queued_at,
    }));
  }

  matched(): Promise<string[]> {
    return this.ids(`status = 'Matched'`);
  }

  async reservations(): Promise<Reservation[]> {
    const r = await this.pool.query<{ job_id: string; region: string; node: string; gpus: number }>(
      `SELECT * FROM ${this.schema}.reservations`,
    );
    return r.rows.map((x) => ({ jobId: x.job_id, region: x.region, node: x.node, gpus: x.gpus }));
  }

  async onCluster(): Promise<Array<{ jobId: string; region: string }>> {
    const rows = await this.pool.query<{ job_id: string; region: string }>(
      `SELECT job_id, region FROM ${this.schema}.jobs WHERE status IN ('Dispatched', 'Running')`,
    );
    return rows.rows.map((r) => ({ jobId: r.job_id, region: r.region }));
  }

  async onClusterIn(region: string): Promise<LiveJob[]> {
    const live = await this.pool.query<{ job_id: string; k8s_name: string; status: string }>(
      `SELECT job_id, k8s_name, status FROM ${this.schema}.jobs WHERE region = $1 AND status IN ('Dispatched', 'Running')`,
      [region],
    );
    return live.rows.map((r) => ({
      jobId: r.job_id,
      kubeJobName: r.k8s_name,
      status: r.status as LiveJob['status'],
    }));
  }

  async lastChanged(jobIds: readonly string[]): Promise<Map<string, number>> {
    const changed = await this.pool.query<{ job_id: string; updated_at: Date }>(
      `SELECT job_id, updated_at FROM ${this.schema}.jobs WHERE job_id = ANY($1)`,
      [jobIds],
    );
    return new Map(changed.rows.map((r) => [r.job_id, r.updated_at.getTime()]));
  }

  async timestamps(jobId: string): Promise<{ submittedAt: Date; updatedAt: Date } | undefined> {
    const row = await this.pool.query<{ submitted_at: Date; updated_at: Date }>(
      `SELECT submitted_at, updated_at FROM ${this.schema}.jobs WHERE job_id = $1`,
      [jobId],
    );
    const r = row.rows[0];
    return r && { submittedAt: r.submitted_at, updatedAt: r.updated_at };
  }

  async page(clientId: string, before: string, limit: number): Promise<string[]> {
    const rows = await this.pool.query<{ job_id: string }>(
      `SELECT job_id FROM ${this.schema}.jobs WHERE ($1 = '' OR client_id = $1) AND ($2 = '' OR job_id < $2)
        ORDER BY job_id DESC LIMIT $3`,
      [clientId, before, limit],
    );
    return rows.rows.map((r) => r.job_id);
  }
}
