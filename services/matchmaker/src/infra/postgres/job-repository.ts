import { type Pool } from 'pg';
import {
  causedBy,
  type EventEnvelope,
  type EventOrigin,
  jobEvents,
  type JobEvent,
  PgEventStore,
  retryOnConflict,
  type Tx,
  withTransaction,
} from '@starminer/eventing';
import { decide } from '../../domain/job-decide';
import { ENDED, evolve, initialJob, type JobState } from '../../domain/job-state';
import { type CommandOn, type Executed, type JobStore, type LoadedJob } from '../../app/ports';

/**
 * The Job aggregate's persistence: load (fold the stream), decide, append with the expected
 * version, and in the same transaction update the jobs read model and the GPU reservations, so
 * a reservation exists exactly while the job holds a match. Version conflicts rerun the command.
 * As a JobStore it works over the pool; `in(tx)` is the store bound to a caller's transaction.
 */
export class JobRepository implements JobStore {
  readonly store: PgEventStore<JobEvent>;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    origin: EventOrigin,
  ) {
    this.store = new PgEventStore(pool, schema, jobEvents, origin);
  }

  load(jobId: string, tx?: Tx): Promise<LoadedJob> {
    return this.store.aggregate(jobId, evolve, initialJob, tx);
  }

  /** Runs a command in its own transaction (retried on a version conflict). */
  execute(jobId: string, command: CommandOn, cause?: EventEnvelope): Promise<Executed> {
    return retryOnConflict(() =>
      withTransaction(this.pool, (tx) => this.executeIn(tx, jobId, command, cause)),
    );
  }

  /** Runs a command inside the caller's transaction (e.g. a consumer's, with its inbox row). */
  async executeIn(
    tx: Tx,
    jobId: string,
    command: CommandOn,
    cause?: EventEnvelope,
  ): Promise<Executed> {
    const { state, version } = await this.load(jobId, tx);
    const events = decide(state, command(state, version));
    if (events.length === 0) return { state, version, events };
    const meta = cause && causedBy(cause);
    const { nextVersion } = await this.store.appendInTransaction(
      tx,
      jobId,
      version,
      events.map((event) => ({ event, meta })),
    );
    const next = events.reduce(evolve, state);
    await this.project(tx, next, nextVersion, events);
    return { state: next, version: nextVersion, events };
  }

  /** The store bound to the caller's transaction: its writes commit or roll back with it. */
  in(tx: Tx): JobStore {
    return {
      load: (jobId) => this.load(jobId, tx),
      execute: (jobId, command, cause) => this.executeIn(tx, jobId, command, cause),
    };
  }

  private async project(tx: Tx, s: JobState, version: number, events: JobEvent[]): Promise<void> {
    const t = this.schema;
    const queued = events.find((e) => e.type === 'JobQueued');
    await tx.query(
      `INSERT INTO ${t}.jobs (job_id, client_id, status, version, attempt, urgency, region, node, k8s_name,
          quote_expires_at, placement_deadline, queued_at, submitted_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $12 THEN now() END, now(), now())
       ON CONFLICT (job_id) DO UPDATE SET status = $3, version = $4, attempt = $5, region = $7, node = $8,
          k8s_name = $9, quote_expires_at = $10, placement_deadline = $11,
          queued_at = CASE WHEN $12 THEN now() ELSE ${t}.jobs.queued_at END, updated_at = now()`,
      [
        s.jobId,
        s.clientId,
        s.status,
        version,
        s.attempt,
        s.spec?.urgency ?? 2,
        s.placement?.region ?? null,
        s.placement?.node ?? null,
        s.kubernetesJobName ?? null,
        s.quote?.expiresAt || null,
        s.placementDeadline ?? null,
        queued !== undefined,
      ],
    );
    const matched = events.find((e) => e.type === 'JobMatched');
    if (matched && s.placement) {
      await tx.query(
        `INSERT INTO ${t}.reservations (job_id, region, node, gpus) VALUES ($1, $2, $3, $4)
         ON CONFLICT (job_id) DO UPDATE SET region = $2, node = $3, gpus = $4`,
        [s.jobId, s.placement.region, s.placement.node, s.spec?.gpu?.count ?? 0],
      );
    }
    // Released when the job goes back to the queue, loses its funding to a reorg, or ends.
    const reverted = events.some((e) => e.type === 'JobFundingReverted');
    if (queued || reverted || ENDED.has(s.status) || s.status === 'Settled') {
      await tx.query(`DELETE FROM ${t}.reservations WHERE job_id = $1`, [s.jobId]);
    }
  }
}
