import { observe } from './kube-observation';
import { planRepairs, type RepairInput } from './reconcile';

const NOW = 1_000_000;
const base: RepairInput = {
  clusterJobs: [],
  live: [],
  lastChangeMs: new Map(),
  nowMs: NOW,
  graceMs: 30_000,
};

describe('reconciler repairs', () => {
  it('deletes a Kubernetes Job with a live pod whose job left the cluster past the grace', () => {
    const repairs = planRepairs({
      ...base,
      clusterJobs: [{ name: 'sm-a-1', jobId: 'a', activePods: 1 }],
      lastChangeMs: new Map([['a', NOW - 31_000]]),
    });
    expect(repairs).toEqual([{ kind: 'deleteOrphan', name: 'sm-a-1', jobId: 'a' }]);
  });

  it('leaves a fresh end, a finished Job, a live job and a job id it never saw', () => {
    const repairs = planRepairs({
      ...base,
      clusterJobs: [
        { name: 'sm-fresh-1', jobId: 'fresh', activePods: 1 },
        { name: 'sm-done-1', jobId: 'done', activePods: 0 },
        { name: 'sm-live-1', jobId: 'live', activePods: 1 },
        { name: 'sm-other-1', jobId: 'other', activePods: 1 },
        { name: 'unlabelled', activePods: 1 },
      ],
      live: [{ jobId: 'live', kubeJobName: 'sm-live-1', status: 'Running' }],
      lastChangeMs: new Map([
        ['fresh', NOW - 5_000],
        ['done', NOW - 600_000],
        ['live', NOW - 600_000],
      ]),
    });
    expect(repairs).toEqual([]);
  });

  it('deletes the Job of an earlier attempt once the job has moved on to a new one', () => {
    const repairs = planRepairs({
      ...base,
      clusterJobs: [
        { name: 'sm-a-1', jobId: 'a', activePods: 1 },
        { name: 'sm-a-2', jobId: 'a', activePods: 1 },
      ],
      live: [{ jobId: 'a', kubeJobName: 'sm-a-2', status: 'Running' }],
      lastChangeMs: new Map([['a', NOW - 60_000]]),
    });
    expect(repairs).toEqual([{ kind: 'deleteOrphan', name: 'sm-a-1', jobId: 'a' }]);
  });

  it('dispatches a Dispatched job again and treats a Running one as lost when its Job vanished', () => {
    const repairs = planRepairs({
      ...base,
      live: [
        { jobId: 'd', kubeJobName: 'sm-d-1', status: 'Dispatched' },
        { jobId: 'r', kubeJobName: 'sm-r-2', status: 'Running' },
      ],
    });
    expect(repairs).toEqual([
      { kind: 'redispatch', jobId: 'd' },
      { kind: 'lost', jobId: 'r', kubeJobName: 'sm-r-2' },
    ]);
  });
});

describe('a lost node seen through the placement', () => {
  it('is node loss when the pod on it was collected and its replacement waits unbound', () => {
    const replacement = { name: 'p2', phase: 'Pending', disrupted: false };
    expect(
      observe({ complete: false, nodeGone: true, placedNode: 'n1', pod: replacement }),
    ).toMatchObject({ kind: 'nodeLost', node: 'n1', message: 'node n1 left the cluster' });
    expect(observe({ complete: false, nodeGone: true, placedNode: 'n1' })).toMatchObject({
      kind: 'nodeLost',
      node: 'n1',
    });
  });

  it('is still pending while the placed node exists', () => {
    expect(
      observe({
        complete: false,
        nodeGone: false,
        placedNode: 'n1',
        pod: { name: 'p', phase: 'Pending', disrupted: false },
      }).kind,
    ).toBe('pending');
  });

  it('lets a completed Job win over a node that left afterwards', () => {
    expect(observe({ complete: true, nodeGone: true, placedNode: 'n1' }).kind).toBe('succeeded');
  });
});
