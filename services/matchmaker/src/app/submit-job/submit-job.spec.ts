import { aSpec } from '../../domain/job.fixtures';
import { type SpecLimits } from '../../domain/job-spec';
import { aQuote, ManualClock, SequentialIds, StubPricing, T0 } from '../app.fixtures';
import { InvalidRequestError, UnavailableError } from '../errors';
import { InMemoryJobs } from '../jobs.fixtures';
import { InMemorySubmissions } from '../transactions.fixtures';
import { type SubmitJobCommand } from './submit-job.command';
import { SubmitJobHandler } from './submit-job.handler';

const LIMITS: SpecLimits = {
  regions: ['us-east', 'eu-west'],
  maxDurationSeconds: 86_400,
  maxGpusPerJob: 8,
  simulationAllowed: false,
};

const ADDRESS = '0x00000000000000000000000000000000000000C1';

function setup(pricing = new StubPricing()) {
  const jobs = new InMemoryJobs(new ManualClock(T0));
  const submissions = new InMemorySubmissions(jobs);
  const handler = new SubmitJobHandler(
    jobs,
    submissions,
    pricing,
    new SequentialIds('job'),
    LIMITS,
  );
  return { jobs, submissions, pricing, handler };
}

const cmd = (o: Partial<SubmitJobCommand> = {}): SubmitJobCommand => ({
  idempotencyKey: 'key-1',
  clientAddress: ADDRESS,
  clientId: '',
  spec: aSpec(),
  ...o,
});

describe('SubmitJob', () => {
  it('given a valid job, then JobSubmitted and JobQuoted are appended under a new id and the key is claimed', async () => {
    const { jobs, submissions, pricing, handler } = setup();
    const state = await handler.execute(cmd());
    expect(state.jobId).toBe('job-1');
    expect(state.status).toBe('Quoted');
    expect(jobs.appendedTypes('job-1')).toEqual(['JobSubmitted', 'JobQuoted']);
    // The client is known by its lower-case address when no client id is given.
    expect(state.clientId).toBe(ADDRESS.toLowerCase());
    expect(await submissions.keys.jobOf(ADDRESS.toLowerCase(), 'key-1')).toBe('job-1');
    expect(pricing.requests).toEqual([
      expect.objectContaining({ jobId: 'job-1', clientAddress: ADDRESS.toLowerCase() }),
    ]);
    // The job class is derived before pricing sees the spec.
    expect(pricing.requests[0]!.spec.jobClass).toBe(state.spec!.jobClass);
    expect(state.quote).toEqual(aQuote());
  });

  it('given the same client and key again, then the first job is returned and nothing is appended', async () => {
    const { jobs, pricing, handler } = setup();
    await handler.execute(cmd({ clientId: 'tenant-1' }));
    const before = jobs.appended.length;
    const again = await handler.execute(cmd({ clientId: 'tenant-1' }));
    expect(again.jobId).toBe('job-1');
    expect(jobs.appended).toHaveLength(before);
    expect(pricing.requests).toHaveLength(1);
    // Another client may use the same key.
    expect((await handler.execute(cmd({ clientId: 'tenant-2' }))).jobId).toBe('job-2');
  });

  it('given a bad address and no key, then it is refused field by field and nothing is stored', async () => {
    const { jobs, submissions, pricing, handler } = setup();
    const err = await handler
      .execute(cmd({ clientAddress: 'nobody', idempotencyKey: '' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as InvalidRequestError).violations.map((v) => v.field)).toEqual([
      'idempotency_key',
      'client',
    ]);
    expect(jobs.appended).toEqual([]);
    expect(submissions.claims.size).toBe(0);
    expect(pricing.requests).toEqual([]);
  });

  it('given a spec that fails validation, then pricing is never asked', async () => {
    const { pricing, handler } = setup();
    await expect(
      handler.execute(
        cmd({ spec: aSpec({ gpu: { product: 'H100-80GB', count: 64, minVramMib: 0 } }) }),
      ),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect(pricing.requests).toEqual([]);
  });

  it('when pricing cannot answer, then it is UNAVAILABLE and nothing is stored', async () => {
    const { jobs, submissions, handler } = setup(new StubPricing(new Error('connection refused')));
    await expect(handler.execute(cmd())).rejects.toThrow(
      new UnavailableError('pricing could not quote the job: connection refused'),
    );
    expect(jobs.appended).toEqual([]);
    expect(submissions.transactions).toBe(0);
  });

  it('when pricing finds the job infeasible, then its refusal reaches the client as is', async () => {
    const refusal = new InvalidRequestError([{ field: 'spec.gpu', reason: 'cannot be priced' }]);
    const { handler } = setup(new StubPricing(refusal));
    await expect(handler.execute(cmd())).rejects.toBe(refusal);
  });

  it('given a quote above the maximum price, then it is refused on max_price and nothing is stored', async () => {
    const { jobs, submissions, handler } = setup(
      new StubPricing(aQuote({ total: 2_000_000_000n })),
    );
    const err = await handler.execute(cmd()).catch((e: unknown) => e);
    expect((err as InvalidRequestError).violations).toEqual([
      {
        field: 'spec.max_price.base_units',
        reason: 'is below the quoted total 2000000000 (NVIDIA-H100-80GB-HBM3 in us-east)',
      },
    ]);
    expect(jobs.appended).toEqual([]);
    expect(submissions.claims.size).toBe(0);
  });

  it('when another submit claims the key while pricing quotes, then its job is returned and no second job is created', async () => {
    const { jobs, submissions, pricing, handler } = setup();
    // The racing submit commits its job while this one waits for its quote.
    pricing.answer = () => {
      jobs.given('job-racer', [
        {
          type: 'SubmitJob',
          jobId: 'job-racer',
          clientId: 'tenant-1',
          clientAddress: ADDRESS.toLowerCase(),
          spec: aSpec(),
        },
      ]);
      void submissions.claim('tenant-1', 'key-1', 'job-racer');
      return aQuote();
    };
    const state = await handler.execute(cmd({ clientId: 'tenant-1' }));
    expect(state.jobId).toBe('job-racer');
    expect(jobs.state('job-1').status).toBe('New');
    expect(jobs.appended).toEqual([]);
  });
});
