import { chainIndexerV1, commonV1 } from '@starminer/proto';
import { type ApiError } from '../domain/errors';
import { perMinute } from '../domain/token-bucket';
import { RateLimits } from './authenticate';
import { ManualClock } from '@starminer/service-kit';
import {
  FakeDownstream,
  FakeJobWatches,
  InMemoryRateLimiter,
  InMemorySubmittedJobs,
  WALLET_A,
  WALLET_B,
  jobIdOf,
  keyOf,
  sessionOf,
} from './gateway.fixtures';
import { SequentialIds } from '@starminer/service-kit';
import { JobUseCases, type WatchMessage } from './job-use-cases';

const H100 = 'NVIDIA-H100-80GB-HBM3';
const spec = {
  workload: { image: 'ghcr.io/acme/train:1.0', command: ['python', 'train.py'] },
  gpu: { product: H100, count: 2 },
  jobClass: 'training',
  maxDurationSeconds: 3600,
};
const render = {
  name: 'unreal-render',
  parameters: { projectUri: 'https://a.example/p.zip', frameStart: 1, frameEnd: 10 },
};
const { JOB_STATE_QUEUED, JOB_STATE_RUNNING, JOB_STATE_SETTLED } = commonV1.JobState;

function setup(o: { submitBurst?: number; streamBurst?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const downstream = new FakeDownstream();
  const index = new InMemorySubmittedJobs();
  const watches = new FakeJobWatches();
  const limiter = new InMemoryRateLimiter(clock);
  const jobs = new JobUseCases(
    downstream,
    index,
    watches,
    ['us-east', 'eu-west'],
    new RateLimits(limiter, {
      submit: perMinute(60, o.submitBurst ?? 10),
      stream: perMinute(60, o.streamBurst ?? 10),
    }),
    clock,
    new SequentialIds('new'),
  );
  return { clock, downstream, index, watches, limiter, jobs };
}

const refusal = (work: Promise<unknown>) =>
  work.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: ApiError) => err,
  );

const alice = sessionOf(WALLET_A);
const bob = sessionOf(WALLET_B);

describe('JobUseCases: quote and submit', () => {
  it('quotes each job of the request under a new job id, for the caller', async () => {
    const { downstream, jobs } = setup();
    const quotes = await jobs.quote(alice, {
      spec,
      urgency: 'high',
      regionPreference: ['eu-west'],
    });
    expect(quotes).toHaveLength(1);
    expect(downstream.quoted).toEqual([
      {
        jobId: 'new-1',
        client: WALLET_A,
        gpu: { product: H100, count: 2, minVramMib: 0 },
        urgency: commonV1.Urgency.URGENCY_HIGH,
        regionPreference: ['eu-west'],
        maxDurationSeconds: 3600,
      },
    ]);
  });

  it('forwards a submission with a tenant-scoped idempotency key and records who owns the job', async () => {
    const { downstream, index, jobs } = setup();
    const [job] = await jobs.submit(alice, { spec, idempotencyKey: 'order-7', maxPrice: '900' });
    expect(downstream.submitted).toEqual([
      expect.objectContaining({
        idempotencyKey: `${WALLET_A}:order-7:0`,
        client: WALLET_A,
        clientId: WALLET_A,
        quoteId: '',
        simulation: undefined,
        spec: expect.objectContaining({
          workload: {
            image: 'ghcr.io/acme/train:1.0',
            command: ['python', 'train.py'],
            args: [],
            env: {},
            template: undefined,
          },
          jobClass: commonV1.JobClass.JOB_CLASS_TRAINING,
          urgency: commonV1.Urgency.URGENCY_NORMAL,
          latency: { mode: { $case: 'batch', value: {} } },
          maxPrice: { baseUnits: '900' },
        }),
      }),
    ]);
    expect(index.rows.get(job!.jobId)).toEqual({
      tenant: WALLET_A,
      template: '',
      idempotencyKey: `${WALLET_A}:order-7:0`,
    });

    // A retry with the same key is the same job, still recorded once.
    const [again] = await jobs.submit(alice, { spec, idempotencyKey: 'order-7' });
    expect(again!.jobId).toBe(job!.jobId);
    expect(index.rows.size).toBe(1);
  });

  it('submits each part of a template under its own key, a new key when the request brings none, with no price cap', async () => {
    const { downstream, index, jobs } = setup();
    const parts = await jobs.submit(alice, {
      template: {
        ...render,
        parameters: { ...render.parameters, frameEnd: 240, framesPerJob: 100 },
      },
    });
    expect(parts).toHaveLength(3);
    expect(downstream.submitted.map((r) => r.idempotencyKey)).toEqual([
      `${WALLET_A}:new-1:0`,
      `${WALLET_A}:new-1:1`,
      `${WALLET_A}:new-1:2`,
    ]);
    expect(downstream.submitted[0]!.spec!.maxPrice!.baseUnits).toBe(((1n << 256n) - 1n).toString());
    expect([...index.rows.values()].map((r) => r.template)).toEqual([
      'unreal-render',
      'unreal-render',
      'unreal-render',
    ]);
  });

  it('passes simulation settings on, and refuses bad ones before anything is forwarded', async () => {
    const { downstream, jobs } = setup();
    await jobs.submit(alice, { spec, simulation: { runtime: '5s', exitCode: 3 } });
    expect(downstream.submitted[0]!.simulation).toEqual({
      runtime: '5s',
      fail: false,
      exitCode: 3,
    });
    const err = await refusal(
      jobs.submit(alice, { spec, simulation: { runtime: 'soon', fail: 'yes', exitCode: 300 } }),
    );
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.fields.map((f) => f.field)).toEqual([
      'simulation.runtime',
      'simulation.fail',
      'simulation.exitCode',
    ]);
    expect(downstream.submitted).toHaveLength(1);
  });

  it('refuses before spending a token or calling anyone: missing scope, bad request, unknown region, bad key', async () => {
    const { downstream, limiter, jobs } = setup();
    const reader = keyOf(WALLET_A, 'k1', ['jobs:read']);
    expect((await refusal(jobs.submit(reader, { spec }))).code).toBe('PERMISSION_DENIED');
    expect((await refusal(jobs.quote(reader, { spec }))).code).toBe('PERMISSION_DENIED');
    expect((await refusal(jobs.submit(alice, { spec: {} }))).code).toBe('INVALID_REQUEST');
    const region = await refusal(jobs.submit(alice, { spec, regionPreference: ['ap-south'] }));
    expect(region.fields).toEqual([
      expect.objectContaining({
        field: 'regionPreference[0]',
        accepted: 'one of us-east, eu-west',
      }),
    ]);
    const key = await refusal(jobs.submit(alice, { spec, idempotencyKey: 'has space' }));
    expect(key.fields[0]!.field).toBe('idempotencyKey');
    expect(downstream.calls).toEqual([]);
    expect(limiter.buckets.size).toBe(0);
  });

  it('refuses a submission over the rate limit without forwarding it', async () => {
    const { downstream, jobs } = setup({ submitBurst: 1 });
    await jobs.submit(alice, { spec });
    const err = await refusal(jobs.submit(alice, { spec }));
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    expect(downstream.submitted).toHaveLength(1);
  });
});

describe('JobUseCases: reading and cancelling jobs', () => {
  it("shows the caller's own job with its template, and another tenant's as not found", async () => {
    const { jobs } = setup();
    const [job] = await jobs.submit(alice, { template: render });
    expect(await jobs.get(alice, job!.jobId)).toEqual({ job, template: 'unreal-render' });
    const err = await refusal(jobs.get(bob, job!.jobId));
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: `job ${job!.jobId} not found` });
  });

  it('answers not found without asking the matchmaker for a malformed or unrecorded id', async () => {
    const { downstream, jobs } = setup();
    const outside = downstream.put(WALLET_A);
    expect((await refusal(jobs.get(alice, 'not-a-job'))).code).toBe('NOT_FOUND');
    expect((await refusal(jobs.get(alice, outside.jobId))).code).toBe('NOT_FOUND');
    expect(downstream.calls).toEqual([]);
  });

  it('answers not found when the matchmaker holds the job for another client', async () => {
    const { downstream, index, jobs } = setup();
    const job = downstream.put(WALLET_B);
    await index.record(job.jobId, WALLET_A, '', 'forged');
    expect((await refusal(jobs.get(alice, job.jobId))).code).toBe('NOT_FOUND');
  });

  it('cancels an owned job, with a default reason; never one of another tenant', async () => {
    const { downstream, jobs } = setup();
    const [job] = await jobs.submit(alice, { spec });
    expect((await refusal(jobs.cancel(bob, job!.jobId, ''))).code).toBe('NOT_FOUND');
    expect(downstream.calls).not.toContain('matchmaker.cancelJob');
    const cancelled = await jobs.cancel(alice, job!.jobId, '');
    expect(cancelled).toMatchObject({
      state: commonV1.JobState.JOB_STATE_CANCELLED,
      endReason: 'cancelled by the client',
    });
    expect((await refusal(jobs.cancel(alice, job!.jobId, 'again'))).code).toBe('CONFLICT');
  });

  it('lists the caller’s jobs with their templates, filtered, reading more pages to fill one', async () => {
    const { downstream, index, jobs } = setup();
    for (let i = 0; i < 6; i++) {
      const j = downstream.put(WALLET_A, {
        state: i % 2 ? JOB_STATE_RUNNING : JOB_STATE_QUEUED,
        placement: i === 5 ? { region: 'eu-west', provider: 'p', pool: 'h100' } : undefined,
      });
      await index.record(j.jobId, WALLET_A, i < 3 ? 'stable-diffusion' : '', `k${i}`);
    }
    downstream.put(WALLET_B);

    const all = await jobs.list(alice, { pageSize: 4 });
    expect(all.jobs.map((j) => j.jobId)).toEqual([1, 2, 3, 4].map(jobIdOf));
    expect(all.jobs.map((j) => j.template)).toEqual([
      'stable-diffusion',
      'stable-diffusion',
      'stable-diffusion',
      '',
    ]);
    expect(all.nextPageToken).toBe('4');

    const running = await jobs.list(alice, { pageSize: 3, state: 'RUNNING' });
    expect(running.jobs.map((j) => j.jobId)).toEqual([2, 4, 6].map(jobIdOf));
    expect(downstream.calls.filter((c) => c === 'matchmaker.listJobs')).toHaveLength(1 + 2);

    const sd = await jobs.list(alice, { template: 'stable-diffusion', state: 'QUEUED' });
    expect(sd.jobs.map((j) => j.jobId)).toEqual([1, 3].map(jobIdOf));
    const eu = await jobs.list(alice, { region: 'eu-west' });
    expect(eu.jobs.map((j) => j.jobId)).toEqual([jobIdOf(6)]);
  });

  it('refuses a bad page size or state, naming what is accepted', async () => {
    const { downstream, jobs } = setup();
    const err = await refusal(jobs.list(alice, { pageSize: 500, state: 'DONE' }));
    expect(err.fields.map((f) => [f.field, f.accepted])).toEqual([
      ['pageSize', 'an integer from 1 to 200'],
      ['state', expect.stringMatching(/^one of SUBMITTED, QUOTED, /)],
    ]);
    expect(downstream.calls).toEqual([]);
  });
});

describe('JobUseCases: watching a job', () => {
  async function watched(s: ReturnType<typeof setup>) {
    const [job] = await s.jobs.submit(alice, { spec });
    const sent: WatchMessage[] = [];
    const stop = await s.jobs.watch(alice, job!.jobId, (m) => sent.push(m));
    return { job: job!, sent, stop };
  }

  it('sends the snapshot, then each event with its state and progress, and ends at a final state', async () => {
    const s = setup();
    const { job, sent } = await watched(s);
    const at = new Date('2026-01-01T12:00:05Z');
    s.watches.emit({ jobId: job.jobId, eventType: 'JobStarted', state: 'RUNNING', occurredAt: at });
    s.watches.emit({ jobId: job.jobId, eventType: 'JobSettled', state: 'SETTLED', occurredAt: at });
    s.watches.emit({ jobId: job.jobId, eventType: 'JobSettled', state: 'SETTLED', occurredAt: at });
    expect(sent).toEqual([
      {
        eventType: 'Snapshot',
        state: 'SUBMITTED',
        progressPercent: 5,
        occurredAt: '2026-01-01T12:00:00.000Z',
        final: false,
        job,
      },
      {
        eventType: 'JobStarted',
        state: 'RUNNING',
        progressPercent: 60,
        occurredAt: '2026-01-01T12:00:05.000Z',
        final: false,
      },
      {
        eventType: 'JobSettled',
        state: 'SETTLED',
        progressPercent: 100,
        occurredAt: '2026-01-01T12:00:05.000Z',
        final: true,
      },
    ]);
  });

  it('subscribes before reading the snapshot, so an event in between is not lost', async () => {
    const s = setup();
    const [job] = await s.jobs.submit(alice, { spec });
    const getJob = s.downstream.getJob.bind(s.downstream);
    s.downstream.getJob = async (r) => {
      s.watches.emit({
        jobId: r.jobId,
        eventType: 'JobQueued',
        state: 'QUEUED',
        occurredAt: s.clock.now(),
      });
      return getJob(r);
    };
    const sent: WatchMessage[] = [];
    await s.jobs.watch(alice, job!.jobId, (m) => sent.push(m));
    expect(sent.map((m) => m.eventType)).toEqual(['JobQueued', 'Snapshot']);
  });

  it('marks a snapshot of a finished job final, and still opens the watch when the matchmaker is away', async () => {
    const s = setup();
    const [job] = await s.jobs.submit(alice, { spec });
    s.downstream.jobs.set(job!.jobId, { ...job!, state: JOB_STATE_SETTLED });
    const done: WatchMessage[] = [];
    await s.jobs.watch(alice, job!.jobId, (m) => done.push(m));
    expect(done[0]).toMatchObject({ state: 'SETTLED', progressPercent: 100, final: true });

    s.downstream.down = true;
    s.clock.advance(60_000);
    const away: WatchMessage[] = [];
    const stop = await s.jobs.watch(alice, job!.jobId, (m) => away.push(m));
    expect(away).toEqual([
      {
        eventType: 'Snapshot',
        state: 'SUBMITTED',
        progressPercent: 5,
        occurredAt: '2026-01-01T12:01:00.000Z',
        final: false,
      },
    ]);
    expect(s.watches.watching(job!.jobId)).toBe(2);
    stop();
    expect(s.watches.watching(job!.jobId)).toBe(1);
  });

  it("refuses to watch another tenant's job, or over the stream rate limit", async () => {
    const s = setup({ streamBurst: 1 });
    const { job } = await watched(s);
    expect((await refusal(s.jobs.watch(bob, job.jobId, () => undefined))).code).toBe('NOT_FOUND');
    expect((await refusal(s.jobs.watch(alice, job.jobId, () => undefined))).code).toBe(
      'RATE_LIMITED',
    );
    expect(s.watches.watching(job.jobId)).toBe(1);
  });
});

describe('JobUseCases: balances and prices', () => {
  it("shows the caller's balances from the chain-indexer, zero for what it does not report", async () => {
    const { downstream, jobs } = setup();
    downstream.balancesOf.set(
      WALLET_A,
      chainIndexerV1.GetBalancesResponse.fromPartial({
        address: WALLET_A,
        agpuBalance: { baseUnits: '1000' },
        escrowed: { baseUnits: '250' },
        escrowedJobs: 2,
        cursor: { blockNumber: '77' },
      }),
    );
    expect(await jobs.balances(alice)).toEqual({
      address: WALLET_A,
      agpuBalance: '1000',
      escrowed: '250',
      fundedJobs: 2,
      withdrawable: '0',
      refunded: '0',
      asOfBlock: '77',
    });
    expect((await jobs.balances(bob)).asOfBlock).toBe('0');
  });

  it('needs the scope of each read', async () => {
    const { downstream, jobs } = setup();
    const writer = keyOf(WALLET_A, 'k1', ['jobs:write']);
    expect((await refusal(jobs.balances(writer))).code).toBe('PERMISSION_DENIED');
    expect((await refusal(jobs.priceBook(writer, ''))).code).toBe('PERMISSION_DENIED');
    expect((await refusal(jobs.get(writer, jobIdOf(1)))).code).toBe('PERMISSION_DENIED');
    expect(downstream.calls).toEqual([]);
    const reader = keyOf(WALLET_A, 'k2', ['prices:read']);
    expect(await jobs.priceBook(reader, 'eu-west')).toBe(downstream.priceBookResponse);
    expect(downstream.calls).toEqual(['pricing.priceBook eu-west']);
  });

  it('passes a downstream failure on as it is', async () => {
    const { downstream, jobs } = setup();
    downstream.down = true;
    expect((await refusal(jobs.balances(alice))).code).toBe('DOWNSTREAM_UNAVAILABLE');
  });
});
