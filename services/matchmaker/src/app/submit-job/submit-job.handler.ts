import { type Pool } from 'pg';
import { withTransaction } from '@starminer/eventing';
import {
  classifyJob,
  validateJobSpec,
  type FieldViolation,
  type SpecLimits,
} from '../../domain/job-spec';
import { type JobState } from '../../domain/job-state';
import { expandWorkloadTemplate } from '../../domain/template-expansion';
import { type JobRepository } from '../../infra/postgres/job-repository';
import { InvalidRequestError, UnavailableError } from '../errors';
import { type IdGenerator, type PricingPort } from '../ports';
import { type SubmitJobCommand } from './submit-job.command';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * SubmitJob: expand a template reference, validate (field-level reasons, nothing stored when
 * refused), derive the class,
 * ask pricing for a signed quote (pricing picks the tier among the client's regions), and append
 * JobSubmitted + JobQuoted in one transaction. A repeated idempotency key returns the first job.
 */
export class SubmitJobHandler {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly jobs: JobRepository,
    private readonly pricing: PricingPort,
    private readonly ids: IdGenerator,
    private readonly limits: SpecLimits,
  ) {}

  async execute(cmd: SubmitJobCommand): Promise<JobState> {
    // A template reference becomes the image, command and env it stands for before anything
    // else is checked; bad parameters are field violations like any other (nothing stored).
    const expanded = expandWorkloadTemplate(cmd.spec);
    const violations: FieldViolation[] = expanded.ok
      ? validateJobSpec(expanded.spec, this.limits, cmd.simulation)
      : expanded.violations;
    if (!ADDRESS.test(cmd.clientAddress))
      violations.unshift({ field: 'client', reason: 'must be a 0x-prefixed 20-byte hex address' });
    if (!cmd.idempotencyKey)
      violations.unshift({
        field: 'idempotency_key',
        reason: 'is required: a client-chosen key that makes a retried submit return the same job',
      });
    if (violations.length) throw new InvalidRequestError(violations);
    const given = (expanded.ok && expanded.spec) || cmd.spec!;
    const spec = { ...given, jobClass: classifyJob(given) };
    const clientId = cmd.clientId || cmd.clientAddress.toLowerCase();

    const existing = await this.pool.query<{ job_id: string }>(
      `SELECT job_id FROM ${this.schema}.submissions WHERE client_id = $1 AND idempotency_key = $2`,
      [clientId, cmd.idempotencyKey],
    );
    if (existing.rows[0]) return (await this.jobs.load(existing.rows[0].job_id)).state;

    const jobId = this.ids.jobId();
    let quote;
    try {
      quote = await this.pricing.quote({
        jobId,
        clientAddress: cmd.clientAddress.toLowerCase(),
        spec,
      });
    } catch (err) {
      if (err instanceof InvalidRequestError) throw err;
      throw new UnavailableError(`pricing could not quote the job: ${(err as Error).message}`);
    }
    if (quote.total > BigInt(spec.maxPrice!.baseUnits)) {
      throw new InvalidRequestError([
        {
          field: 'spec.max_price.base_units',
          reason: `is below the quoted total ${quote.total} (${quote.gpuProduct} in ${quote.region})`,
        },
      ]);
    }
    return withTransaction(this.pool, async (tx) => {
      const claimed = await tx.query(
        `INSERT INTO ${this.schema}.submissions (client_id, idempotency_key, job_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING job_id`,
        [clientId, cmd.idempotencyKey, jobId],
      );
      if (claimed.rowCount === 0) {
        const first = await tx.query<{ job_id: string }>(
          `SELECT job_id FROM ${this.schema}.submissions WHERE client_id = $1 AND idempotency_key = $2`,
          [clientId, cmd.idempotencyKey],
        );
        return (await this.jobs.load(first.rows[0]!.job_id, tx)).state;
      }
      await this.jobs.executeIn(tx, jobId, () => ({
        type: 'SubmitJob',
        jobId,
        clientId,
        clientAddress: cmd.clientAddress.toLowerCase(),
        spec,
        simulation: cmd.simulation,
      }));
      const r = await this.jobs.executeIn(tx, jobId, () => ({ type: 'RecordQuote', quote }));
      return r.state;
    });
  }
}
