import { kubeJobName, LABELS } from '../../domain/dispatch-spec';
import { DEFAULT_MATCHING_WEIGHTS } from '../../domain/matching-weights';
import { FixedReputation, ManualClock, RecordingLogger, REGIONS, T0 } from '../app.fixtures';
import { clustersOf, FakeCluster } from '../cluster.fixtures';
import { historyTo, InMemoryJobs, type JobSetup } from '../jobs.fixtures';
import { InMemoryMarket } from '../market.fixtures';
import { InMemoryMatchLock } from '../transactions.fixtures';
import { MatchQueueHandler, type MatchQueueOptions } from './match-queue.handler';

const EAST_NODE = 'us-east-h100-a-0';
const WEST_NODE = 'eu-west-h100-a-0';

function setup(o: Partial<MatchQueueOptions> = {}) {
  const clock = new ManualClock(T0);
  const jobs = new InMemoryJobs(clock);
  const market = new InMemoryMarket()
    .withNode({ region: 'us-east', node: EAST_NODE })
    .withNode({ region: 'eu-west', node: WEST_NODE });
  const east = new FakeCluster('us-east').withNodes(8, EAST_NODE);
  const west = new FakeCluster('eu-west').withNodes(8, WEST_NODE);
  const lock = new InMemoryMatchLock();
  const logger = new RecordingLogger();
  const handler = new MatchQueueHandler(
    {
      lock,
      jobs,
      queue: jobs,
      market,
      clusters: clustersOf(east, west),
      regions: REGIONS,
      reputation: new FixedReputation(),
      clock,
      logger,
    },
    {
      weights: DEFAULT_MATCHING_WEIGHTS,
      agingSecondsPerLevel: 0,
      simulation: false,
      ttlSecondsAfterFinished: 600,
      matchAcrossRegions: false,
      ...o,
    },
  );
  const queued = (jobId: string, s: JobSetup = {}) =>
    jobs.given(jobId, historyTo('Queued', jobId, s));
  return { clock, jobs, market, east, west, lock, logger, handler, queued };
}

describe('MatchQueue tick', () => {
  it('given a funded job and free GPUs in its region, then it is matched, its GPUs reserved and its Kubernetes Job created', async () => {
    const { jobs, east, west, handler, queued } = setup();
    queued('job-1', { gpus: 2 });
    await handler.tick();
    expect(jobs.appendedTypes('job-1')).toEqual(['JobMatched', 'JobDispatched']);
    const s = jobs.state('job-1');
    expect(s.placement).toEqual({
      provider: '0xp',
      region: 'us-east',
      pool: 'h100-a',
      node: EAST_NODE,
    });
    expect(s.kubernetesJobName).toBe(kubeJobName('job-1', 1));
    expect(s.kubernetesNamespace).toBe('starminer-jobs');
    expect(await jobs.reservations()).toEqual([
      { jobId: 'job-1', region: 'us-east', node: EAST_NODE, gpus: 2 },
    ]);
    expect(east.createdNames()).toEqual([kubeJobName('job-1', 1)]);
    const manifest = east.created[0] as {
      metadata: { namespace: string; labels: Record<string, string> };
    };
    expect(manifest.metadata.namespace).toBe('starminer-jobs');
    expect(manifest.metadata.labels[LABELS.jobId]).toBe('job-1');
    expect(west.created).toEqual([]);
  });

  it('given another replica holding the match lock, then nothing happens', async () => {
    const { jobs, east, lock, handler, queued } = setup();
    queued('job-1');
    lock.heldElsewhere = true;
    await handler.tick();
    expect(jobs.appended).toEqual([]);
    expect(east.created).toEqual([]);
  });

  it('counts GPUs held by other tenants and by reservations: a job that does not fit waits', async () => {
    const { jobs, east, west, market, handler, queued } = setup();
    market.removeNode('eu-west', WEST_NODE);
    west.nodeList = [];
    east.others.set(EAST_NODE, 4);
    queued('job-1', { gpus: 2 });
    queued('job-2', { gpus: 4 });
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Dispatched');
    expect(jobs.state('job-2').status).toBe('Queued');
    // The reservation of job-1 stays until it ends: job-2 still does not fit.
    await handler.tick();
    expect(jobs.state('job-2').status).toBe('Queued');
    east.others.clear();
    await handler.tick();
    expect(jobs.state('job-2').placement?.node).toBe(EAST_NODE);
  });

  it('trusts the API server over the registry for the GPUs a node has', async () => {
    const { jobs, east, west, market, handler, queued } = setup();
    market.removeNode('eu-west', WEST_NODE);
    west.nodeList = [];
    east.nodeList = [{ name: EAST_NODE, ready: true, allocatableGpus: 2 }];
    queued('job-1', { gpus: 4 });
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Queued');
    east.nodeList = [{ name: EAST_NODE, ready: true, allocatableGpus: 8 }];
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Dispatched');
  });

  it('places nothing in a region whose API server is not synced, nor on a quarantined or unready node', async () => {
    const { jobs, east, market, handler, queued } = setup();
    queued('job-1');
    east.isSynced = false;
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Queued');
    east.isSynced = true;
    await market.setNodeQuarantined('us-east', EAST_NODE, true);
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Queued');
    await market.setNodeQuarantined('us-east', EAST_NODE, false);
    east.nodeList = [{ name: EAST_NODE, ready: false, allocatableGpus: 8 }];
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Queued');
    expect(east.created).toEqual([]);
  });

  it('matches across regions only when configured to, within the funded quote', async () => {
    const confined = setup();
    confined.market.removeNode('us-east', EAST_NODE);
    confined.market.withPrice({ product: 'H100-80GB', region: 'eu-west', urgency: 2, price: 9n });
    confined.queued('job-1');
    await confined.handler.tick();
    expect(confined.jobs.state('job-1').status).toBe('Queued');

    const across = setup({ matchAcrossRegions: true });
    across.market.removeNode('us-east', EAST_NODE);
    across.market.withPrice({ product: 'H100-80GB', region: 'eu-west', urgency: 2, price: 9n });
    across.queued('job-1');
    await across.handler.tick();
    expect(across.jobs.state('job-1').placement?.region).toBe('eu-west');
    expect(across.west.createdNames()).toEqual([kubeJobName('job-1', 1)]);
  });

  it('expires a quote past its expiry and overflows a job past its placement deadline', async () => {
    const { clock, jobs, market, handler } = setup();
    market.nodeRows.clear();
    jobs.given('job-q', historyTo('Quoted', 'job-q'));
    jobs.given('job-w', historyTo('Queued', 'job-w'));
    clock.set(T0 + 10 * 60_000); // the quote's expiry; the deadline is 20 minutes out
    await handler.tick();
    expect(jobs.appendedTypes()).toEqual(['JobExpired']);
    clock.set(T0 + 20 * 60_000);
    await handler.tick();
    expect(jobs.appendedTypes('job-w')).toEqual(['JobOverflowed']);
    const overflowed = jobs.appended.at(-1)!.event;
    expect(overflowed.type === 'JobOverflowed' && overflowed.queuedAt).toBe(
      new Date(T0).toISOString(),
    );
  });

  it('an overflowed job still waits in its region and is placed there when capacity frees', async () => {
    const { clock, jobs, handler, queued } = setup();
    queued('job-1');
    jobs.given('job-1', [
      {
        type: 'Overflow',
        now: new Date(T0 + 20 * 60_000).toISOString(),
        queuedAt: new Date(T0).toISOString(),
      },
    ]);
    clock.set(T0 + 21 * 60_000);
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Dispatched');
  });

  it('when one job cannot be written, then it is logged and the others go on', async () => {
    const { clock, jobs, logger, market, handler } = setup();
    market.nodeRows.clear();
    jobs.given('job-a', historyTo('Quoted', 'job-a'));
    jobs.given('job-b', historyTo('Quoted', 'job-b'));
    jobs.failNextExecute('job-a', new Error('deadlock detected'));
    clock.set(T0 + 10 * 60_000);
    await handler.tick();
    expect(jobs.state('job-b').status).toBe('Expired');
    expect(jobs.state('job-a').status).toBe('Quoted');
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'expiry failed',
        fields: expect.objectContaining({ jobId: 'job-a' }),
      }),
    ]);
  });

  it('when the API server refuses the Job, then the job goes back to the queue and its reservation is released', async () => {
    const { clock, jobs, east, logger, handler, queued } = setup();
    queued('job-1');
    east.createOutcome = { kind: 'refused', code: 422, err: new Error('invalid') };
    clock.advance(1_000);
    await handler.tick();
    expect(jobs.appendedTypes('job-1')).toEqual(['JobMatched', 'JobQueued']);
    const s = jobs.state('job-1');
    expect(s.placementDeadline).toBe(new Date(T0 + 1_000 + 600_000).toISOString());
    expect(await jobs.reservations()).toEqual([]);
    expect(logger.lines).toEqual([
      expect.objectContaining({
        msg: 'dispatch refused by the API server',
        fields: expect.objectContaining({ jobId: 'job-1', region: 'us-east', code: 422 }),
      }),
    ]);
  });

  it('when the API server does not answer, then the match is kept and dispatch is tried again', async () => {
    const { jobs, east, logger, handler, queued } = setup();
    queued('job-1');
    east.createOutcome = { kind: 'unavailable', err: new Error('timeout') };
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Matched');
    expect(logger.warnings()).toEqual(['dispatch failed; will retry']);
    east.createOutcome = { kind: 'created' };
    await handler.tick();
    expect(jobs.state('job-1').status).toBe('Dispatched');
    expect(east.createdNames()).toEqual([kubeJobName('job-1', 1), kubeJobName('job-1', 1)]);
  });
});

describe('MatchQueue redispatch', () => {
  it('creates the Job of a Dispatched job again under the same name, not when its region is away', async () => {
    const { jobs, east, handler } = setup();
    jobs.given('job-1', historyTo('Dispatched', 'job-1'));
    east.isSynced = false;
    await handler.redispatch('job-1');
    expect(east.created).toEqual([]);
    east.isSynced = true;
    await handler.redispatch('job-1');
    expect(east.createdNames()).toEqual([kubeJobName('job-1', 1)]);
    expect(jobs.appended).toEqual([]);
  });
});
