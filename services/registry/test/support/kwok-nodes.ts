import * as k8s from '@kubernetes/client-node';

export interface GpuNodeSpec {
  name: string;
  /** Labels besides the GPU feature discovery ones (the test's own selector label, say). */
  labels: Record<string, string>;
  product?: string;
  memoryMiB?: number;
  gpus?: number;
  /** nvidia.com/gpu.count label when it should differ from capacity. */
  countLabel?: number;
  /** Clusters without a kwok controller: the node is created Ready itself. */
  ready?: boolean;
}

export function coreApi(kubeconfig: string): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(k8s.CoreV1Api);
}

/** A kwok-managed GPU node as the device plugin and GPU feature discovery would present it. */
export async function createGpuNode(core: k8s.CoreV1Api, s: GpuNodeSpec): Promise<k8s.V1Node> {
  const gpus = s.gpus ?? 8;
  const resources = { cpu: '64', memory: '512Gi', pods: '110', 'nvidia.com/gpu': String(gpus) };
  return core.createNode({
    body: {
      metadata: {
        name: s.name,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: {
          type: 'kwok',
          'kubernetes.io/hostname': s.name,
          'nvidia.com/gpu.present': 'true',
          'nvidia.com/gpu.product': s.product ?? 'NVIDIA-H100-80GB-HBM3',
          'nvidia.com/gpu.memory': String(s.memoryMiB ?? 81559),
          'nvidia.com/gpu.count': String(s.countLabel ?? gpus),
          ...s.labels,
        },
      },
      spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
      status: {
        capacity: resources,
        allocatable: resources,
        ...(s.ready ? { conditions: [readyCondition('True')] } : {}),
      },
    },
  });
}

function readyCondition(status: 'True' | 'False' | 'Unknown'): k8s.V1NodeCondition {
  const now = new Date();
  return {
    type: 'Ready',
    status,
    reason: status === 'True' ? 'KubeletReady' : 'NodeStatusUnknown',
    message: '',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  };
}

/** Sets the Ready condition as a kubelet (True) or the node lifecycle controller (Unknown) would. */
export async function setReady(
  core: k8s.CoreV1Api,
  name: string,
  status: 'True' | 'Unknown',
): Promise<void> {
  await core.patchNodeStatus(
    { name, body: { status: { conditions: [readyCondition(status)] } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
  );
}

export async function deleteNodeIfPresent(core: k8s.CoreV1Api, name: string): Promise<void> {
  await core.deleteNode({ name }).catch(() => undefined);
}

/** A pod holding `gpus` GPUs, bound straight to `node` (as the scheduler would bind it). */
export async function bindGpuPod(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
  node: string,
  gpus: number,
): Promise<void> {
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name },
      spec: {
        nodeName: node,
        tolerations: [
          { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'starminer.io/not-admitted', operator: 'Exists' },
        ],
        containers: [
          {
            name: 'main',
            image: 'example.test/train:1',
            resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
          },
        ],
      },
    },
  });
}
