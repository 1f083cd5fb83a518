import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { regionKubeconfig, stackRegions, waitUntil } from '@starminer/testing';

// Smoke test of every region's real control plane: the kube-scheduler places GPU Jobs on
// kwok GPU nodes by product, and the Job controller drives them to completion.
const GPU_TOLERATION = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };

function clientsFor(region: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(regionKubeconfig(region));
  return { core: kc.makeApiClient(k8s.CoreV1Api), batch: kc.makeApiClient(k8s.BatchV1Api) };
}

function gpuJob(name: string, product: string, runtime: string): k8s.V1Job {
  return {
    metadata: { name, labels: { 'starminer.io/test': 'smoke' } },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 300,
      template: {
        metadata: { annotations: { 'starminer.io/sim-runtime': runtime } },
        spec: {
          restartPolicy: 'Never',
          nodeSelector: { 'nvidia.com/gpu.product': product },
          tolerations: [GPU_TOLERATION],
          containers: [
            { name: 'main', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': '1' } } },
          ],
        },
      },
    },
  };
}

describe.each(stackRegions())('Kubernetes region %s', (region) => {
  const { core, batch } = clientsFor(region);
  const namespace = 'default';
  const created: string[] = [];

  afterAll(async () => {
    for (const name of created) {
      await batch
        .deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' })
        .catch(() => undefined);
    }
  });

  it('schedules a GPU Job onto a kwok node of the requested product and runs it to Complete', async () => {
    const nodes = await core.listNode({ labelSelector: `starminer.io/region=${region}` });
    expect(nodes.items.length).toBeGreaterThan(0);
    const product = nodes.items[0]!.metadata!.labels!['nvidia.com/gpu.product']!;
    expect(nodes.items[0]!.status!.allocatable!['nvidia.com/gpu']).toMatch(/^\d+$/);

    const name = `smoke-${randomUUID().slice(0, 8)}`;
    created.push(name);
    await batch.createNamespacedJob({ namespace, body: gpuJob(name, product, '1s') });

    const pod = await waitUntil(`pod of ${name} bound to a node`, async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
      return pods.items.find((p) => p.spec?.nodeName);
    });
    const node = await core.readNode({ name: pod.spec!.nodeName! });
    expect(node.metadata!.labels!['nvidia.com/gpu.product']).toBe(product);
    expect(node.metadata!.labels!['starminer.io/region']).toBe(region);

    const done = await waitUntil(`Job ${name} to complete`, async () => {
      const job = await batch.readNamespacedJob({ name, namespace });
      return job.status?.conditions?.find((c) => c.type === 'Complete' && c.status === 'True');
    });
    expect(done.type).toBe('Complete');
  });

  it('leaves a Job for a GPU product that no node has Pending and Unschedulable', async () => {
    const name = `smoke-none-${randomUUID().slice(0, 8)}`;
    created.push(name);
    await batch.createNamespacedJob({ namespace, body: gpuJob(name, 'NVIDIA-B999-1TB', '1s') });

    const condition = await waitUntil(`pod of ${name} marked Unschedulable`, async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
      return pods.items[0]?.status?.conditions?.find(
        (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
      );
    });
    expect(condition.message).toMatch(/node\(s\) didn't match Pod's node affinity\/selector/);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
    expect(pods.items[0]!.status!.phase).toBe('Pending');
    expect(pods.items[0]!.spec!.nodeName).toBeUndefined();
  });
});
