import { type Pool } from 'pg';
import { type JobState } from '../../domain/job-state';
import { type JobRepository } from '../../infra/postgres/job-repository';
import { JobNotFoundError } from '../errors';

export interface JobView {
  state: JobState;
  version: number;
  submittedAt: Date;
  updatedAt: Date;
}

/** GetJob and ListJobs: the jobs read model for paging, the stream for the job itself. */
export class JobQueries {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly jobs: JobRepository,
  ) {}

  async get(jobId: string): Promise<JobView> {
    const row = await this.pool.query<{ submitted_at: Date; updated_at: Date }>(
      `SELECT submitted_at, updated_at FROM ${this.schema}.jobs WHERE job_id = $1`,
      [jobId],
    );
    if (!row.rows[0]) throw new JobNotFoundError(jobId);
    const { state, version } = await this.jobs.load(jobId);
    return {
      state,
      version,
      submittedAt: row.rows[0].submitted_at,
      updatedAt: row.rows[0].updated_at,
    };
  }

  /** Newest first; the page token is the last job id of the previous page (UUIDv7 sorts by time). */
  async list(
    clientId: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{ jobs: JobView[]; next: string }> {
    const size = Math.min(Math.max(pageSize || 50, 1), 500);
    const rows = await this.pool.query<{ job_id: string }>(
      `SELECT job_id FROM ${this.schema}.jobs WHERE ($1 = '' OR client_id = $1) AND ($2 = '' OR job_id < $2)
        ORDER BY job_id DESC LIMIT $3`,
      [clientId, pageToken, size + 1],
    );
    const ids = rows.rows.slice(0, size).map((r) => r.job_id);
    const jobs = await Promise.all(ids.map((id) => this.get(id)));
    return { jobs, next: rows.rows.length > size ? ids[ids.length - 1]! : '' };
  }
}
