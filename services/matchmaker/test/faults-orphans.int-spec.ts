import { randomUUID } from 'node:crypto';
import { commonV1 } from '@starminer/proto';
import { waitUntil } from '@starminer/testing';
import { kubeJobName, LABELS, MANAGED_BY } from '../src/domain/dispatch-spec';
import { type EventPublisher, type Matchmaker } from './support/harness';
import { PrivateMatchmaker } from './support/private-matchmaker';
import {
  type EventStoreProbe,
  getJob,
  kubeApis,
  kubeJobsOnceListed,
  type PrivateRegions,
  submitFunded,
  submitRequest,
} from './support/private-stack';

// The periodic reconciler, both ways, in a private region: a Kubernetes Job carrying the
// matchmaker's labels for a job that has ended is deleted (one for a job id this deployment
// never saw is left to its owner); a Dispatched job whose Kubernetes Job vanished gets it
// created again under the same name; a Running job whose Kubernetes Job vanished is requeued
// once, as after a lost node.
const runId = randomUUID().slice(0, 6);
const CLIENT = '0x00000000000000000000000000000000000000f4';
let stack: PrivateMatchmaker | undefined;
let regions: PrivateRegions;
let events: EventPublisher;
let mm: Matchmaker | undefined;
let probe: EventStoreProbe;

beforeAll(async () => {
  stack = await PrivateMatchmaker.start(
    runId,
    [{ name: 'or', pools: [{ pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 3 }] }],
    { RECONCILE_EVERY_MS: '1000', ORPHAN_GRACE_MS: '3000' },
  );
  ({ regions, events, mm, probe } = stack);
}, 360_000);

afterAll(async () => {
  await stack?.stop();
});

const region = () => regions.regions[0]!;
const batch = () => kubeApis(region().kubeconfig).batch;
const submit = (key: string, gpus: number, runtime: string) =>
  submitFunded(
    mm!.client,
    events,
    submitRequest({
      key,
      client: CLIENT,
      region: region().region,
      product: 'H100-80GB',
      gpus,
      runtime,
    }),
  );
const stateIs = (jobId: string, status: string, timeoutMs = 60_000) =>
  waitUntil(
    `job ${jobId} ${status}`,
    async () => ((await probe.state(jobId)).status === status ? true : undefined),
    { timeoutMs },
  );

/** A Job as the matchmaker would label it, running for a long time on the given node. */
function labelledJob(name: string, jobId: string, node: string) {
  return {
    metadata: {
      name,
      labels: { [LABELS.jobId]: jobId, [LABELS.managedBy]: MANAGED_BY, [LABELS.attempt]: '9' },
    },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { 'starminer.io/sim-runtime': '600s' } },
        spec: {
          restartPolicy: 'Never',
          nodeSelector: { 'kubernetes.io/hostname': node },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
          containers: [{ name: 'w', image: 'x', resources: { limits: { 'nvidia.com/gpu': '1' } } }],
        },
      },
    },
  };
}

it('deletes a running Kubernetes Job whose job has ended, and leaves one of an unknown job', async () => {
  const ended = await submit('ended', 1, '2s');
  const node = await waitUntil(`job ${ended} Succeeded`, async () => {
    const s = await probe.state(ended);
    return s.status === 'Succeeded' ? s.placement!.node : undefined;
  });
  const before = (await probe.typeCounts()).get(ended);
  const orphan = `sm-${ended}-9`;
  const stranger = `sm-${randomUUID()}-1`;
  for (const [name, id] of [
    [orphan, ended],
    [stranger, randomUUID()],
  ] as const)
    await batch().createNamespacedJob({
      namespace: mm!.namespace,
      body: labelledJob(name, id, node),
    });

  await waitUntil(
    'the orphan deleted',
    async () => {
      const names = (await batch().listNamespacedJob({ namespace: mm!.namespace })).items.map(
        (j) => j.metadata!.name!,
      );
      return names.includes(orphan) ? undefined : names;
    },
    { timeoutMs: 30_000 },
  );
  // Reconcile rounds run every second: after several more, the stranger's Job is still there.
  const tracked = mm!.runtime.tracker;
  for (let i = 0; i < 3; i++) await tracked.reconcile(() => Promise.resolve());
  const names = (await batch().listNamespacedJob({ namespace: mm!.namespace })).items.map(
    (j) => j.metadata!.name!,
  );
  expect(names).toContain(stranger);
  // The ended job itself is untouched.
  expect((await probe.typeCounts()).get(ended)).toEqual(before);
  await batch().deleteNamespacedJob({
    name: stranger,
    namespace: mm!.namespace,
    propagationPolicy: 'Background',
  });
});

it('creates the Kubernetes Job of a Dispatched job again under the same name when it vanished', async () => {
  // Hold scheduling so the job stays Dispatched (its pod Pending) while its Job is deleted.
  region().kubectl(['taint', 'nodes', '--all', 'hold=true:NoSchedule']);
  let jobId: string;
  try {
    jobId = await submit('dispatched', 2, '3s');
    await stateIs(jobId, 'Dispatched');
    const name = kubeJobName(jobId, 1);
    const first = await waitUntil('its Job', async () => {
      const kj = await batch()
        .readNamespacedJob({ name, namespace: mm!.namespace })
        .catch(() => undefined);
      return kj?.metadata?.uid;
    });
    await batch().deleteNamespacedJob({
      name,
      namespace: mm!.namespace,
      propagationPolicy: 'Background',
    });
    const again = await waitUntil(
      'the Job created again',
      async () => {
        const kj = await batch()
          .readNamespacedJob({ name, namespace: mm!.namespace })
          .catch(() => undefined);
        return kj?.metadata?.uid && kj.metadata.uid !== first ? kj.metadata.uid : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(again).not.toBe(first);
  } finally {
    region().kubectl(['taint', 'nodes', '--all', 'hold-']);
  }
  await stateIs(jobId, 'Succeeded');
  const j = await getJob(mm!.client, jobId);
  expect(j.attempt).toBe(1);
  expect((await probe.terminalCounts()).get(jobId)).toBe(1);
  expect((await kubeJobsOnceListed(regions.regions, mm!.namespace, [jobId])).get(jobId)).toEqual([
    `${region().region}/${kubeJobName(jobId, 1)}`,
  ]);
});

it('requeues a Running job once when its Kubernetes Job vanished, and charges the rerun only', async () => {
  const jobId = await submit('running', 4, '8s');
  const first = await waitUntil(`job ${jobId} Running`, async () => {
    const s = await probe.state(jobId);
    return s.status === 'Running' ? s.placement!.node : undefined;
  });
  await batch().deleteNamespacedJob({
    name: kubeJobName(jobId, 1),
    namespace: mm!.namespace,
    propagationPolicy: 'Background',
  });
  const done = await waitUntil(
    'job succeeded on a second attempt',
    async () => {
      const j = await getJob(mm!.client, jobId);
      return j.state === commonV1.JobState.JOB_STATE_SUCCEEDED ? j : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(done.attempt).toBe(2);
  // 4 GPUs x the rerun's 8 s (whole seconds): the vanished attempt is not billed.
  expect(Number(done.gpuSeconds)).toBeLessThanOrEqual(4 * 9);
  const s = await probe.state(jobId);
  expect(s.excludedNodes).toEqual([first]);
  expect((await probe.terminalCounts()).get(jobId)).toBe(1);
  expect((await kubeJobsOnceListed(regions.regions, mm!.namespace, [jobId])).get(jobId)).toEqual([
    `${region().region}/${kubeJobName(jobId, 2)}`,
  ]);
});
