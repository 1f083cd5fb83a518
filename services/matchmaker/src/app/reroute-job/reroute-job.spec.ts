import { CommandRejectedError, IllegalTransitionError } from '../../domain/errors';
import { ManualClock, REGIONS, T0 } from '../app.fixtures';
import { JobNotFoundError } from '../errors';
import { historyTo, InMemoryJobs } from '../jobs.fixtures';
import { InMemoryMarket } from '../market.fixtures';
import { RerouteJobHandler } from './reroute-job.handler';

function setup() {
  const clock = new ManualClock(T0);
  const jobs = new InMemoryJobs(clock);
  const market = new InMemoryMarket();
  const handler = new RerouteJobHandler(jobs, REGIONS, clock, market);
  return { clock, jobs, market, handler };
}

/** The quote of historyTo: 10 base units per GPU-second for NVIDIA-H100-80GB-HBM3, urgency 2. */
const interactive = {
  latency: {
    mode: { $case: 'interactive' as const, value: { clientRegion: 'us-east', maxRttMs: 50 } },
  },
};

describe('Reroute', () => {
  it('given a queued job and a tier in the target region within its quote, then it moves there with a fresh deadline', async () => {
    const { clock, jobs, market, handler } = setup();
    jobs.given('job-1', historyTo('Queued', 'job-1'));
    // Pricing names the tier by another label of the same GPU class.
    market.withPrice({ product: 'H100-80GB', region: 'eu-west', urgency: 2, price: 9n });
    clock.advance(60_000);
    const state = await handler.execute('job-1', 'eu-west', 4, 'p-1');
    expect(state.status).toBe('Queued');
    expect(state.reroutedTo).toBe('eu-west');
    expect(jobs.appendedTypes()).toEqual(['JobRerouted', 'JobQueued']);
    // Urgency normal: 600 s from now.
    expect(state.placementDeadline).toBe(new Date(T0 + 60_000 + 600_000).toISOString());
  });

  it('given no price published in the target region, then it is refused', async () => {
    const { jobs, market, handler } = setup();
    jobs.given('job-1', historyTo('Queued', 'job-1'));
    market.withPrice({ product: 'H100-80GB', region: 'eu-west', urgency: 3, price: 1n });
    await expect(handler.execute('job-1', 'eu-west', 4, 'p-1')).rejects.toThrow(
      /no price is published for NVIDIA-H100-80GB-HBM3 in eu-west/,
    );
    expect(jobs.appended).toEqual([]);
  });

  it('given a price above the funded quote, then it is refused', async () => {
    const { jobs, market, handler } = setup();
    jobs.given('job-1', historyTo('Queued', 'job-1'));
    market.withPrice({
      product: 'NVIDIA-H100-80GB-HBM3',
      region: 'eu-west',
      urgency: 2,
      price: 11n,
    });
    await expect(handler.execute('job-1', 'eu-west', 4, 'p-1')).rejects.toThrow(
      /costs 11 per GPU-second, above the funded quote of 10/,
    );
    expect(jobs.state('job-1').reroutedTo).toBeUndefined();
  });

  it('given a proposal made at another version, then it is refused so spillover re-plans', async () => {
    const { jobs, market, handler } = setup();
    jobs.given('job-1', historyTo('Queued', 'job-1'));
    market.withPrice({ product: 'H100-80GB', region: 'eu-west', urgency: 2, price: 9n });
    await expect(handler.execute('job-1', 'eu-west', 3, 'p-1')).rejects.toThrow(
      /proposed at version 3; the job is at 4/,
    );
  });

  it('given an interactive job, then the round trip to the target comes from the regions file', async () => {
    const { jobs, market, handler } = setup();
    jobs.given('job-1', historyTo('Queued', 'job-1', { spec: interactive }));
    jobs.given('job-2', historyTo('Queued', 'job-2', { spec: interactive }));
    market
      .withPrice({ product: 'H100-80GB', region: 'eu-west', urgency: 2, price: 9n })
      .withPrice({ product: 'H100-80GB', region: 'ap-south', urgency: 2, price: 9n });
    expect((await handler.execute('job-1', 'eu-west', 4, 'p-1')).reroutedTo).toBe('eu-west');
    await expect(handler.execute('job-2', 'ap-south', 4, 'p-2')).rejects.toThrow(
      /an unknown number of ms from us-east/,
    );
  });

  it('refuses a target that is not a region, and a job that does not exist', async () => {
    const { handler } = setup();
    await expect(handler.execute('job-1', 'mars', 1, 'p')).rejects.toThrow(
      'target_region "mars" is not a region; accepted: us-east, eu-west, ap-south',
    );
    await expect(handler.execute('job-x', 'eu-west', 1, 'p')).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
  });

  it('refuses a job that is not waiting', async () => {
    const { jobs, handler } = setup();
    jobs.given('job-1', historyTo('Running', 'job-1'));
    await expect(handler.execute('job-1', 'eu-west', 6, 'p-1')).rejects.toBeInstanceOf(
      IllegalTransitionError,
    );
  });
});

describe('NoteRouting', () => {
  it('given a waiting job, then the note is recorded once', async () => {
    const { jobs, handler } = setup();
    jobs.given('job-1', historyTo('Queued', 'job-1'));
    expect((await handler.note('job-1', 'no region has capacity')).routingNote).toBe(
      'no region has capacity',
    );
    await handler.note('job-1', 'no region has capacity');
    expect(jobs.appendedTypes()).toEqual(['JobRoutingBlocked']);
  });

  it('refuses an empty reason and an unknown job', async () => {
    const { handler } = setup();
    await expect(handler.note('job-1', '  ')).rejects.toBeInstanceOf(CommandRejectedError);
    await expect(handler.note('job-x', 'why')).rejects.toBeInstanceOf(JobNotFoundError);
  });
});
