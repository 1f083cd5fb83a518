import { kubeJobName } from '../../domain/dispatch-spec';
import { T0 as T0_ISO } from '../../domain/job.fixtures';
import { ManualClock, RecordingLogger, T0 } from '../app.fixtures';
import { clustersOf, FakeCluster, pending, running, succeeded } from '../cluster.fixtures';
import { historyTo, InMemoryJobs } from '../jobs.fixtures';
import { TrackKubernetesHandler } from './track-kubernetes.handler';

const NODE = 'us-east-h100-a-0';
const GRACE_MS = 30_000;
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const name = (jobId: string, attempt = 1) => kubeJobName(jobId, attempt);

function setup() {
  const clock = new ManualClock(T0);
  const jobs = new InMemoryJobs(clock);
  const east = new FakeCluster('us-east').withNodes(8, NODE);
  const west = new FakeCluster('eu-west');
  const logger = new RecordingLogger();
  const handler = new TrackKubernetesHandler(
    jobs,
    jobs,
    clustersOf(east, west),
    clock,
    logger,
    GRACE_MS,
  );
  return { clock, jobs, east, west, logger, handler };
}

describe('TrackKubernetes', () => {
  it('given a Dispatched job whose pod runs, then JobStarted with its pod, node and start', async () => {
    const { jobs, east, handler } = setup();
    jobs.given('job-1', historyTo('Dispatched', 'job-1'));
    east.kubeJobs.set(name('job-1'), { activePods: 1, snapshot: running(NODE, at(3), 'pod-a') });
    await handler.track();
    expect(jobs.appendedTypes()).toEqual(['JobStarted']);
    expect(jobs.state('job-1')).toMatchObject({ status: 'Running', startedAt: at(3) });
    // Seen again: nothing new.
    await handler.track();
    expect(jobs.appended).toHaveLength(1);
  });

  it('given a pending pod, then nothing is recorded', async () => {
    const { jobs, east, handler } = setup();
    jobs.given('job-1', historyTo('Dispatched', 'job-1'));
    east.kubeJobs.set(name('job-1'), { activePods: 1, snapshot: pending() });
    await handler.track();
    expect(jobs.appended).toEqual([]);
  });

  it('given a completed Job, then JobSucceeded metered from start to finish', async () => {
    const { jobs, east, handler } = setup();
    jobs.given('job-1', historyTo('Running', 'job-1', { gpus: 4 }));
    east.kubeJobs.set(name('job-1'), { activePods: 0, snapshot: succeeded(NODE, at(0), at(25)) });
    await handler.track();
    const ev = jobs.appended[0]!.event;
    expect(ev.type === 'JobSucceeded' && ev.usage?.gpuSeconds).toBe('100');
    expect(east.deleted).toEqual([]);
  });

  it('given the node of a running job gone, then it is requeued once away from that node and its Job deleted', async () => {
    const { clock, jobs, east, handler } = setup();
    jobs.given('job-1', historyTo('Running', 'job-1'));
    east.nodeList = [];
    east.kubeJobs.set(name('job-1'), {
      activePods: 1,
      snapshot: { ...running(NODE, T0_ISO), nodeGone: true },
    });
    clock.advance(40_000);
    await handler.track();
    expect(jobs.appendedTypes()).toEqual(['JobQueued']);
    const s = jobs.state('job-1');
    expect(s.excludedNodes).toEqual([NODE]);
    expect(s.placementDeadline).toBe(new Date(T0 + 40_000 + 600_000).toISOString());
    expect(east.deleted).toEqual([{ name: name('job-1'), propagation: 'Background' }]);
  });

  it('leaves the jobs of a region that is not synced alone', async () => {
    const { jobs, east, handler } = setup();
    jobs.given('job-1', historyTo('Dispatched', 'job-1'));
    east.kubeJobs.set(name('job-1'), { activePods: 0, snapshot: succeeded(NODE, at(0), at(5)) });
    east.isSynced = false;
    await handler.track();
    expect(jobs.appended).toEqual([]);
  });

  it('when one job cannot be written, then it is logged and the others are tracked', async () => {
    const { jobs, east, logger, handler } = setup();
    for (const id of ['job-1', 'job-2']) {
      jobs.given(id, historyTo('Dispatched', id));
      east.kubeJobs.set(name(id), { activePods: 1, snapshot: running(NODE, at(1)) });
    }
    jobs.failNextExecute('job-1', new Error('connection lost'));
    await handler.track();
    expect(jobs.state('job-1').status).toBe('Dispatched');
    expect(jobs.state('job-2').status).toBe('Running');
    expect(logger.warnings()).toEqual(['job status not recorded']);
  });
});

describe('TrackKubernetes reconcile', () => {
  it('deletes the Job of a job that left the cluster beyond the grace, not a fresh one nor a stranger', async () => {
    const { clock, jobs, east, handler } = setup();
    const ended = (id: string) =>
      jobs.given(id, [
        ...historyTo('Running', id),
        { type: 'RecordSuccess', attempt: 1, gpuSeconds: 0n },
      ]);
    ended('job-old');
    jobs.given('job-done', historyTo('Queued', 'job-done'));
    clock.advance(GRACE_MS + 1);
    ended('job-fresh');
    for (const id of ['job-old', 'job-fresh', 'job-other-deployment'])
      east.kubeJobs.set(name(id), { jobId: id, activePods: 1, snapshot: running(NODE, at(0)) });
    // A finished Job holds no GPU: its TTL removes it.
    east.kubeJobs.set('sm-finished', { jobId: 'job-done', activePods: 0, snapshot: pending() });
    clock.set(T0 + GRACE_MS + 10);
    await handler.reconcile(async () => undefined);
    expect(east.deleted).toEqual([{ name: name('job-old'), propagation: 'Background' }]);
  });

  it('dispatches a Dispatched job whose Job vanished again, and requeues a Running one as a lost node', async () => {
    const { jobs, handler } = setup();
    jobs.given('job-d', historyTo('Dispatched', 'job-d'));
    jobs.given('job-r', historyTo('Running', 'job-r'));
    const redispatched: string[] = [];
    await handler.reconcile(async (id) => {
      redispatched.push(id);
    });
    expect(redispatched).toEqual(['job-d']);
    expect(jobs.appendedTypes()).toEqual(['JobQueued']);
    expect(jobs.state('job-r')).toMatchObject({ status: 'Queued', excludedNodes: [NODE] });
  });

  it('skips a region that is not synced, and goes on after a repair that fails', async () => {
    const { jobs, east, logger, handler } = setup();
    jobs.given('job-d', historyTo('Dispatched', 'job-d'));
    jobs.given('job-r', historyTo('Running', 'job-r'));
    east.isSynced = false;
    const redispatched: string[] = [];
    await handler.reconcile(async (id) => {
      redispatched.push(id);
    });
    expect(redispatched).toEqual([]);
    east.isSynced = true;
    await handler.reconcile(async () => {
      throw new Error('API server gone');
    });
    expect(logger.warnings()).toEqual(['repair failed; next round retries']);
    expect(jobs.state('job-r').status).toBe('Queued');
  });
});
