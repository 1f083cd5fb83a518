import { kubeJobName } from '../../domain/dispatch-spec';
import { ManualClock, T0 } from '../app.fixtures';
import { clustersOf, FakeCluster, running, succeeded } from '../cluster.fixtures';
import { JobNotFoundError, UnavailableError } from '../errors';
import { historyTo, InMemoryJobs } from '../jobs.fixtures';
import { CancelJobHandler } from './cancel-job.handler';

const NODE = 'us-east-h100-a-0';
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function setup() {
  const clock = new ManualClock(T0);
  const jobs = new InMemoryJobs(clock);
  const cluster = new FakeCluster('us-east');
  const handler = new CancelJobHandler(jobs, clustersOf(cluster), clock);
  return { clock, jobs, cluster, handler };
}

const cancelled = (jobs: InMemoryJobs, jobId: string) => {
  const e = jobs.appended.find((a) => a.jobId === jobId && a.event.type === 'JobCancelled');
  return e?.event.type === 'JobCancelled' ? e.event : undefined;
};

describe('CancelJob', () => {
  it('given no such job, then NOT_FOUND', async () => {
    const { handler } = setup();
    await expect(handler.execute('job-x', '')).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('given a queued job, then JobCancelled with no usage and nothing is deleted', async () => {
    const { jobs, cluster, handler } = setup();
    jobs.given('job-1', historyTo('Queued', 'job-1'));
    const state = await handler.execute('job-1', '');
    expect(state.status).toBe('Cancelled');
    expect(cancelled(jobs, 'job-1')).toMatchObject({
      reason: 'cancelled by the client',
      usage: { gpuSeconds: '0' },
    });
    expect(cluster.deleted).toEqual([]);
  });

  it('given a running job, then its Kubernetes Job is deleted first and the pod is metered to now', async () => {
    const { clock, jobs, cluster, handler } = setup();
    jobs.given('job-1', historyTo('Running', 'job-1', { gpus: 2 }));
    const name = kubeJobName('job-1', 1);
    cluster.kubeJobs.set(name, { jobId: 'job-1', activePods: 1, snapshot: running(NODE, at(5)) });
    clock.advance(65_000);
    await handler.execute('job-1', 'no longer needed');
    expect(cluster.deleted).toEqual([{ name, propagation: 'Foreground' }]);
    // 2 GPUs from the container's start (T0 + 5 s) to now (T0 + 65 s).
    expect(cancelled(jobs, 'job-1')).toMatchObject({
      reason: 'no longer needed',
      usage: { gpuSeconds: '120' },
    });
  });

  it('given a pod that already finished, then it is metered to its end, not to now', async () => {
    const { clock, jobs, cluster, handler } = setup();
    jobs.given('job-1', historyTo('Running', 'job-1', { gpus: 4 }));
    cluster.kubeJobs.set(kubeJobName('job-1', 1), {
      activePods: 0,
      snapshot: succeeded(NODE, at(0), at(10)),
    });
    clock.advance(3_600_000);
    await handler.execute('job-1', '');
    expect(cancelled(jobs, 'job-1')?.usage?.gpuSeconds).toBe('40');
  });

  it('given a job whose Kubernetes Job is already gone, then it is metered from its recorded start', async () => {
    const { clock, jobs, cluster, handler } = setup();
    jobs.given('job-1', historyTo('Running', 'job-1', { gpus: 1 }));
    clock.advance(30_000);
    await handler.execute('job-1', '');
    expect(cluster.deleted).toHaveLength(1);
    expect(cancelled(jobs, 'job-1')?.usage?.gpuSeconds).toBe('30');
  });

  it('given its region unreachable, then UNAVAILABLE and the job keeps running', async () => {
    const { jobs, cluster, handler } = setup();
    jobs.given('job-1', historyTo('Running', 'job-1'));
    cluster.isSynced = false;
    await expect(handler.execute('job-1', '')).rejects.toThrow(
      new UnavailableError('region us-east is unreachable; try again'),
    );
    expect(jobs.appended).toEqual([]);
    expect(cluster.deleted).toEqual([]);
  });

  it('when the API server refuses the delete, then UNAVAILABLE and nothing is charged', async () => {
    const { jobs, cluster, handler } = setup();
    jobs.given('job-1', historyTo('Dispatched', 'job-1'));
    cluster.deleteError = new Error('forbidden');
    await expect(handler.execute('job-1', '')).rejects.toThrow(
      new UnavailableError('could not delete the Kubernetes Job: forbidden'),
    );
    expect(jobs.state('job-1').status).toBe('Dispatched');
    expect(jobs.appended).toEqual([]);
  });
});
