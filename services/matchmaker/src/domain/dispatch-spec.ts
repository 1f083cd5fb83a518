import { type SimulationSpec } from './job-spec';
import { type Placement } from './job-state';

export const LABELS = {
  jobId: 'starminer.io/job-id',
  tenant: 'starminer.io/tenant',
  provider: 'starminer.io/provider',
  pool: 'starminer.io/pool',
  attempt: 'starminer.io/attempt',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const MANAGED_BY = 'starminer-matchmaker';

/** Kubernetes Job name of one attempt of a job: the same inputs always give the same name. */
export function kubeJobName(jobId: string, attempt: number): string {
  return `sm-${jobId.toLowerCase()}-${attempt}`;
}

/** Label values allow [A-Za-z0-9._-], at most 63 characters. */
export function labelValue(v: string): string {
  return v
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export interface DispatchInput {
  jobId: string;
  tenant: string;
  attempt: number;
  namespace: string;
  placement: Placement;
  gpus: number;
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  maxDurationSeconds: number;
  ttlSecondsAfterFinished: number;
  /** Passed only when the service is configured to honour simulation annotations. */
  simulation?: SimulationSpec;
}

/**
 * The batch/v1 Job of one attempt (a plain object in the API's JSON shape). One pod, never
 * replaced while the old one still exists (podReplacementPolicy: Failed), no retries of the
 * workload (backoffLimit 0), but a disruption (node drained or lost, preemption) does not count
 * as the workload failing (podFailurePolicy Ignore on DisruptionTarget): the matchmaker then
 * decides whether to requeue on another node. The pod is pinned to the node matching reserved.
 */
export function kubernetesJobManifest(d: DispatchInput): Record<string, unknown> {
  const labels = {
    [LABELS.jobId]: labelValue(d.jobId),
    [LABELS.tenant]: labelValue(d.tenant),
    [LABELS.provider]: labelValue(d.placement.provider),
    [LABELS.pool]: labelValue(d.placement.pool),
    [LABELS.attempt]: String(d.attempt),
    [LABELS.managedBy]: MANAGED_BY,
  };
  const annotations: Record<string, string> = {};
  if (d.simulation) {
    annotations['starminer.io/sim-runtime'] = d.simulation.runtime;
    if (d.simulation.fail) {
      annotations['starminer.io/sim-outcome'] = 'failed';
      annotations['starminer.io/sim-exit-code'] = String(d.simulation.exitCode);
    }
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: kubeJobName(d.jobId, d.attempt), namespace: d.namespace, labels },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      activeDeadlineSeconds: d.maxDurationSeconds,
      ttlSecondsAfterFinished: d.ttlSecondsAfterFinished,
      podReplacementPolicy: 'Failed',
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: 'Never',
          nodeSelector: {
            'starminer.io/pool': d.placement.pool,
            'starminer.io/provider': d.placement.provider,
            'kubernetes.io/hostname': d.placement.node,
          },
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [
            {
              name: 'workload',
              image: d.image,
              ...(d.command.length ? { command: d.command } : {}),
              ...(d.args.length ? { args: d.args } : {}),
              env: Object.entries(d.env)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([name, value]) => ({ name, value })),
              resources: {
                limits: { 'nvidia.com/gpu': String(d.gpus) },
                requests: { 'nvidia.com/gpu': String(d.gpus) },
              },
            },
          ],
        },
      },
    },
  };
}
