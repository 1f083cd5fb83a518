import { eventsV1 } from '@starminer/proto';
import { envelope, InMemoryRoutingModel } from '../routing.fixtures';
import { type ConsumedEvent, ProjectEventsHandler } from './project-events.handler';

const H100 = 'NVIDIA-H100-80GB-HBM3';
const QUEUED_AT = new Date('2030-01-01T00:00:00Z');

type Of<T extends ConsumedEvent['type']> = Extract<ConsumedEvent, { type: T }>;
type Codec = { fromPartial(fields: object): object };

/** A consumed event with every field its protobuf message defaults, and `fields` set. */
function ev<T extends ConsumedEvent['type']>(type: T, fields: object = {}): Of<T> {
  const codec = (eventsV1 as unknown as Record<string, Codec>)[type]!;
  return { ...codec.fromPartial(fields), type } as Of<T>;
}

function setup() {
  const model = new InMemoryRoutingModel();
  let changes = 0;
  const handler = new ProjectEventsHandler(() => changes++);
  const job = (version: number, event: ConsumedEvent, occurredAt?: Date) =>
    handler.apply(
      envelope(event, {
        aggregateId: 'job-1',
        version,
        producer: 'matchmaker',
        ...(occurredAt ? { occurredAt } : {}),
      }),
      model,
    );
  const other = (event: ConsumedEvent, producer: string) =>
    handler.apply(envelope(event, { aggregateId: 'x', version: 0, producer }), model);
  return { model, job, other, changes: () => changes };
}

const tier = (region: string) => ({ gpuProduct: H100, region, urgency: 3 });

/** Submitted (interactive from eu-west, 60 ms), quoted and funded on us-east, queued there. */
async function queuedJob(s: ReturnType<typeof setup>) {
  await s.job(
    1,
    ev('JobSubmitted', {
      jobId: 'job-1',
      spec: {
        gpu: { product: H100, count: 2, minVramMib: 40_000 },
        urgency: 3,
        latency: {
          mode: { $case: 'interactive', value: { clientRegion: 'eu-west', maxRttMs: 60 } },
        },
      },
    }),
  );
  await s.job(
    2,
    ev('JobQuoted', { tier: tier('us-east'), pricePerGpuSecond: { baseUnits: '12' } }),
  );
  await s.job(3, ev('JobFunded'));
  await s.job(4, ev('JobQueued', { tier: tier('us-east') }), QUEUED_AT);
}

describe('ProjectEventsHandler', () => {
  it('shows a submitted, quoted, funded and queued job as waiting on its funded tier, at its version', async () => {
    const s = setup();
    await queuedJob(s);
    expect(await s.model.waitingJobs()).toEqual([
      {
        jobId: 'job-1',
        version: 4,
        status: 'Queued',
        region: 'us-east',
        quoteRegion: 'us-east',
        product: H100,
        quotePrice: 12n,
        gpus: 2,
        minVramMiB: 40_000,
        urgency: 3,
        latency: { mode: 'interactive', clientRegion: 'eu-west', maxRttMs: 60 },
        waitingSinceMs: QUEUED_AT.getTime(),
        routingNote: '',
      },
    ]);
    expect(s.changes()).toBe(4);
  });

  it('takes a job without latency or GPU fields as a one-GPU batch job of default urgency', async () => {
    const s = setup();
    await s.job(1, ev('JobSubmitted', { jobId: 'job-1' }));
    expect(s.model.jobs.get('job-1')).toMatchObject({
      status: 'Submitted',
      gpus: 1,
      minVramMiB: 0,
      urgency: 2,
      latency: { mode: 'batch' },
    });
  });

  it('holds the GPUs of a matched job on its node until the job ends', async () => {
    const s = setup();
    await s.other(
      ev('NodeJoined', {
        region: 'eu-west',
        node: 'eu-west-h100-0',
        gpus: { product: H100, count: 8, memoryMib: 81559 },
      }),
      'registry',
    );
    await queuedJob(s);
    await s.job(5, ev('JobRerouted', { toRegion: 'eu-west' }));
    await s.job(
      6,
      ev('JobMatched', {
        placement: { region: 'eu-west', node: '' },
        node: 'eu-west-h100-0',
        gpu: { count: 2 },
      }),
    );
    expect(await s.model.waitingJobs()).toEqual([]);
    expect((await s.model.freeNodes()).map((n) => n.free)).toEqual([6]);

    await s.job(7, ev('JobStarted'));
    expect((await s.model.freeNodes()).map((n) => n.free)).toEqual([6]);
    await s.job(8, ev('JobSucceeded'));
    expect((await s.model.freeNodes()).map((n) => n.free)).toEqual([8]);
    expect(s.model.jobs.get('job-1')).toMatchObject({ status: 'Succeeded', version: 8 });
  });

  it.each(['JobFailed', 'JobTimedOut', 'JobCancelled', 'JobExpired', 'JobSettled'] as const)(
    '%s ends the job and releases its GPUs',
    async (type) => {
      const s = setup();
      await queuedJob(s);
      await s.job(5, ev('JobMatched', { placement: { region: 'us-east', node: 'n-0' } }));
      await s.job(6, ev(type));
      expect(s.model.jobs.get('job-1')).toMatchObject({
        status: type.slice(3),
        hold: { gpus: 0 },
      });
    },
  );

  it('records a routing note until the job is rerouted or matched', async () => {
    const s = setup();
    await queuedJob(s);
    await s.job(5, ev('JobOverflowed'));
    await s.job(6, ev('JobRoutingBlocked', { reason: 'no region qualifies' }));
    expect(await s.model.waitingJobs()).toMatchObject([
      { status: 'Overflowed', version: 6, routingNote: 'no region qualifies' },
    ]);
    await s.job(7, ev('JobRerouted', { toRegion: 'eu-west' }));
    expect(s.model.jobs.get('job-1')).toMatchObject({
      status: 'Rerouted',
      region: 'eu-west',
      routingNote: '',
    });
  });

  it('ignores its own JobRerouteProposed, and never moves a version back on a redelivery', async () => {
    const s = setup();
    await queuedJob(s);
    await s.job(0, ev('JobRerouteProposed', { toRegion: 'eu-west' }));
    expect(s.model.jobs.get('job-1')).toMatchObject({ status: 'Queued', version: 4 });
    await s.job(3, ev('JobFunded'));
    expect(s.model.jobs.get('job-1')).toMatchObject({ version: 4 });
  });

  it('follows nodes: capacity changes, quarantine and recovery, departure', async () => {
    const s = setup();
    const node = { region: 'us-east', node: 'us-east-0' };
    await s.other(
      ev('NodeJoined', { ...node, gpus: { product: H100, count: 4, memoryMib: 81559 } }),
      'registry',
    );
    await s.other(
      ev('NodeCapacityChanged', {
        ...node,
        current: { product: H100, count: 2, memoryMib: 81559 },
      }),
      'registry',
    );
    expect(await s.model.freeNodes()).toEqual([
      { region: 'us-east', node: 'us-east-0', product: H100, memoryMiB: 81559, free: 2 },
    ]);
    await s.other(ev('NodeQuarantined', node), 'registry');
    expect(await s.model.freeNodes()).toEqual([]);
    await s.other(ev('NodeRecovered', node), 'registry');
    expect(await s.model.freeNodes()).toHaveLength(1);
    await s.other(ev('NodeLeft', node), 'registry');
    expect(await s.model.freeNodes()).toEqual([]);
  });

  it('keeps the last price published for each tier', async () => {
    const s = setup();
    const price = (baseUnits: string) =>
      ev('PriceUpdated', { tier: tier('eu-west'), pricePerGpuSecond: { baseUnits } });
    await s.other(price('9'), 'pricing');
    await s.other(price('11'), 'pricing');
    expect(await s.model.prices()).toEqual([
      { product: H100, region: 'eu-west', urgency: 3, price: 11n },
    ]);
    expect(s.changes()).toBe(2);
  });
});
