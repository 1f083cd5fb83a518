import { type Pool } from 'pg';
import { type SubmittedJobs } from '../app/ports';

/**
 * The jobs submitted through the gateway and their owners: what object-level authorization
 * checks first (a job not in here, or another tenant's, is "not found" without asking anyone),
 * and what ListJobs filters by template with.
 */
export class JobIndex implements SubmittedJobs {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async record(
    jobId: string,
    tenant: string,
    template: string,
    idempotencyKey: string,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO "${this.schema}".jobs (job_id, tenant, template, idempotency_key)
       VALUES ($1, $2, $3, $4) ON CONFLICT (job_id) DO NOTHING`,
      [jobId, tenant, template, idempotencyKey],
    );
  }

  /** The job's template ('' for a plain spec) when the tenant owns it; else undefined. */
  async ownedBy(jobId: string, tenant: string): Promise<{ template: string } | undefined> {
    const { rows } = await this.pool.query<{ template: string }>(
      `SELECT template FROM "${this.schema}".jobs WHERE job_id = $1 AND tenant = $2`,
      [jobId, tenant],
    );
    return rows[0];
  }

  async templatesOf(jobIds: string[]): Promise<Map<string, string>> {
    const { rows } = await this.pool.query<{ job_id: string; template: string }>(
      `SELECT job_id, template FROM "${this.schema}".jobs WHERE job_id = ANY($1)`,
      [jobIds],
    );
    return new Map(rows.map((r) => [r.job_id, r.template]));
  }

  async countOf(tenant: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${this.schema}".jobs WHERE tenant = $1`,
      [tenant],
    );
    return Number(rows[0]!.n);
  }

  async idsOf(tenant: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ job_id: string }>(
      `SELECT job_id FROM "${this.schema}".jobs WHERE tenant = $1 ORDER BY created_at DESC LIMIT 1000`,
      [tenant],
    );
    return rows.map((r) => r.job_id);
  }
}
