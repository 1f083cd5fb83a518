import { type IdSource } from '@starminer/service-kit';
import {
  classifyJob,
  validateJobSpec,
  type FieldViolation,
  type SpecLimits,
} from '../../domain/job-spec';
import { type JobState } from '../../domain/job-state';
import { expandWorkloadTemplate } from '../../domain/template-expansion';
import { InvalidRequestError, UnavailableError } from '../errors';
import { type JobStore, type PricingPort, type Submissions } from '../ports';
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
    private readonly jobs: JobStore,
    private readonly submissions: Submissions,
    private readonly pricing: PricingPort,
    private readonly ids: IdSource,
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

    const existing = await this.submissions.keys.jobOf(clientId, cmd.idempotencyKey);
    if (existing) return (await this.jobs.load(existing)).state;

    const jobId = this.ids.next();
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
    return this.submissions.transact(async (tx) => {
      // Another submit with the same key may have claimed it since the check above: its job wins.
      if (!(await tx.keys.claim(clientId, cmd.idempotencyKey, jobId))) {
        const first = await tx.keys.jobOf(clientId, cmd.idempotencyKey);
        return (await tx.jobs.load(first!)).state;
      }
      await tx.jobs.execute(jobId, () => ({
        type: 'SubmitJob',
        jobId,
        clientId,
        clientAddress: cmd.clientAddress.toLowerCase(),
        spec,
        simulation: cmd.simulation,
      }));
      const r = await tx.jobs.execute(jobId, () => ({ type: 'RecordQuote', quote }));
      return r.state;
    });
  }
}
