import { type JobState } from '../../domain/job-state';
import { JobNotFoundError } from '../errors';
import { type JobListing, type JobStore } from '../ports';

export interface JobView {
  state: JobState;
  version: number;
  submittedAt: Date;
  updatedAt: Date;
}

/** GetJob and ListJobs: the jobs read model for paging, the stream for the job itself. */
export class JobQueries {
  constructor(
    private readonly listing: JobListing,
    private readonly jobs: JobStore,
  ) {}

  async get(jobId: string): Promise<JobView> {
    const times = await this.listing.timestamps(jobId);
    if (!times) throw new JobNotFoundError(jobId);
    const { state, version } = await this.jobs.load(jobId);
    return { state, version, submittedAt: times.submittedAt, updatedAt: times.updatedAt };
  }

  /** Newest first; the page token is the last job id of the previous page (UUIDv7 sorts by time). */
  async list(
    clientId: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{ jobs: JobView[]; next: string }> {
    const size = Math.min(Math.max(pageSize || 50, 1), 500);
    // One more than the page: whether there is a next page.
    const found = await this.listing.page(clientId, pageToken, size + 1);
    const ids = found.slice(0, size);
    const jobs = await Promise.all(ids.map((id) => this.get(id)));
    return { jobs, next: found.length > size ? ids[ids.length - 1]! : '' };
  }
}
