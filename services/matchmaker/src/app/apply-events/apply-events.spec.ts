import { type StarminerEvent } from '@starminer/eventing';
import { envelope, ManualClock, RecordingLogger, T0 } from '../app.fixtures';
import { historyTo, InMemoryJobs } from '../jobs.fixtures';
import { InMemoryMarket } from '../market.fixtures';
import { consumedEventStore } from '../transactions.fixtures';
import { ApplyEventsHandler } from './apply-events.handler';

type Ev<T extends StarminerEvent['type']> = Extract<StarminerEvent, { type: T }>;

function setup() {
  const clock = new ManualClock(T0);
  const jobs = new InMemoryJobs(clock);
  const market = new InMemoryMarket();
  const logger = new RecordingLogger();
  const handler = new ApplyEventsHandler(clock, logger);
  const apply = (event: StarminerEvent, eventId = 'ev-1') =>
    handler.apply(envelope(event, eventId), consumedEventStore(jobs, market));
  return { clock, jobs, market, logger, apply };
}

const gpus = (count: number) => ({ product: 'NVIDIA-H100-80GB-HBM3', memoryMib: 81_920, count });

const joined = (node: string, provider = '0xABC'): Ev<'NodeJoined'> => ({
  type: 'NodeJoined',
  region: 'us-east',
  node,
  provider,
  pool: 'h100-a',
  gpus: gpus(8),
});

const funded = (jobId: string, o: Partial<Ev<'EscrowFunded'>> = {}): Ev<'EscrowFunded'> => ({
  type: 'EscrowFunded',
  log: undefined,
  jobId,
  client: '0xc1',
  deposit: { baseUnits: '12000' },
  quoteId: 'q-1',
  reclaimAfter: undefined,
  ...o,
});

describe('ApplyEvents: the capacity read model', () => {
  it('given node events, then the nodes read model follows them', async () => {
    const { market, apply } = setup();
    await apply(joined('n-1'));
    await apply(joined('n-2'));
    expect(await market.nodes()).toEqual([
      expect.objectContaining({ node: 'n-1', provider: '0xabc', gpus: 8, quarantined: false }),
      expect.objectContaining({ node: 'n-2' }),
    ]);
    await apply({
      type: 'NodeCapacityChanged',
      region: 'us-east',
      node: 'n-1',
      provider: '0xabc',
      pool: 'h100-b',
      previous: gpus(8),
      current: gpus(6),
    });
    await apply({
      type: 'NodeQuarantined',
      region: 'us-east',
      node: 'n-1',
      reason: 'faults',
    } as Ev<'NodeQuarantined'>);
    await apply({ type: 'NodeLeft', region: 'us-east', node: 'n-2' } as Ev<'NodeLeft'>);
    expect(await market.nodes()).toEqual([
      expect.objectContaining({ node: 'n-1', pool: 'h100-b', gpus: 6, quarantined: true }),
    ]);
    await apply({ type: 'NodeRecovered', region: 'us-east', node: 'n-1' } as Ev<'NodeRecovered'>);
    expect((await market.nodes())[0]!.quarantined).toBe(false);
  });

  it('given provider and price events, then active providers (lower case) and tier prices', async () => {
    const { market, apply } = setup();
    await apply({ type: 'ProviderActivated', provider: '0xAA' } as Ev<'ProviderActivated'>);
    await apply({ type: 'ProviderActivated', provider: '0xBB' } as Ev<'ProviderActivated'>);
    await apply({ type: 'ProviderDeactivated', provider: '0xbb' } as Ev<'ProviderDeactivated'>);
    expect(await market.activeProviders()).toEqual(['0xaa']);
    await apply({
      type: 'PriceUpdated',
      tier: { gpuProduct: 'NVIDIA-H100-80GB-HBM3', region: 'us-east', urgency: 2 },
      previousPricePerGpuSecond: undefined,
      pricePerGpuSecond: { baseUnits: '42' },
      queuedGpus: 0,
      freeGpus: 8,
    } as Ev<'PriceUpdated'>);
    expect(await market.prices()).toEqual([
      { product: 'NVIDIA-H100-80GB-HBM3', region: 'us-east', urgency: 2, price: 42n },
    ]);
  });
});

describe('ApplyEvents: escrow events', () => {
  it('given a quoted job, when its escrow is funded, then it is funded and queued with a deadline from now, caused by the chain event', async () => {
    const { clock, jobs, apply } = setup();
    jobs.given('job-1', historyTo('Quoted', 'job-1'));
    clock.advance(7_000);
    await apply(funded('job-1'), 'chain-ev-1');
    expect(jobs.appended.map((a) => [a.event.type, a.causationId])).toEqual([
      ['JobFunded', 'chain-ev-1'],
      ['JobQueued', 'chain-ev-1'],
    ]);
    expect(jobs.state('job-1').placementDeadline).toBe(
      new Date(T0 + 7_000 + 600_000).toISOString(),
    );
  });

  it('given a job this deployment does not have, then the escrow event is skipped', async () => {
    const { jobs, logger, apply } = setup();
    await apply(funded('job-elsewhere'));
    expect(jobs.appended).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  it('given a deposit against another quote, then it is logged and not applied, without failing the transaction', async () => {
    const { jobs, logger, apply } = setup();
    jobs.given('job-1', historyTo('Quoted', 'job-1'));
    await expect(apply(funded('job-1', { quoteId: 'q-other' }))).resolves.toBeUndefined();
    expect(jobs.appended).toEqual([]);
    expect(logger.lines).toEqual([
      expect.objectContaining({
        msg: 'chain event not applied to job',
        fields: expect.objectContaining({ jobId: 'job-1', eventType: 'EscrowFunded' }),
      }),
    ]);
  });

  it('when a write fails for another reason, then the error fails the consumer transaction', async () => {
    const { jobs, apply } = setup();
    jobs.given('job-1', historyTo('Quoted', 'job-1'));
    jobs.failNextExecute('job-1', new Error('connection lost'));
    await expect(apply(funded('job-1'))).rejects.toThrow('connection lost');
  });

  it('given an ended job, when its escrow settles, then JobSettled carries the payout', async () => {
    const { jobs, apply } = setup();
    jobs.given('job-1', [
      ...historyTo('Running', 'job-1'),
      { type: 'RecordSuccess', attempt: 1, gpuSeconds: 100n },
    ]);
    await apply({
      type: 'EscrowSettled',
      log: undefined,
      jobId: 'job-1',
      provider: '0xp',
      gpuSeconds: '100',
      providerPayout: { baseUnits: '950' },
      clientRefund: { baseUnits: '11000' },
      protocolFee: { baseUnits: '50' },
    });
    expect(jobs.state('job-1').status).toBe('Settled');
    const settled = jobs.appended[0]!.event;
    expect(settled.type === 'JobSettled' && settled.providerPayout).toEqual({ baseUnits: '950' });
  });

  it('given a reorg voiding the deposit of a queued job, then its funding is reverted; a running job keeps its', async () => {
    const { jobs, logger, apply } = setup();
    jobs.given('job-1', historyTo('Quoted', 'job-1'));
    jobs.given('job-2', historyTo('Quoted', 'job-2'));
    await apply(funded('job-1'), 'deposit-1');
    await apply(funded('job-2'), 'deposit-2');
    jobs.given('job-2', historyTo('Running', 'job-2').slice(3));
    jobs.appended = [];
    await apply(
      { type: 'ChainReorged', voidedEventIds: ['deposit-1', 'deposit-2'] } as Ev<'ChainReorged'>,
      'reorg-1',
    );
    expect(jobs.appended.map((a) => [a.jobId, a.event.type, a.causationId])).toEqual([
      ['job-1', 'JobFundingReverted', 'reorg-1'],
    ]);
    expect(jobs.state('job-1').status).toBe('Quoted');
    expect(jobs.state('job-2').status).toBe('Running');
    expect(logger.warnings()).toEqual(['chain event not applied to job']);
  });
});
