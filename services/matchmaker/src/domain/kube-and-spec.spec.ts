import { commonV1 } from '@starminer/proto';
import { kubeJobName, kubernetesJobManifest } from './dispatch-spec';
import { classifyJob, validateJobSpec, type SpecLimits } from './job-spec';
import { aSpec } from './job.fixtures';
import { meteredGpuSeconds, observe } from './kube-observation';

const limits: SpecLimits = {
  regions: ['us-east', 'eu-west'],
  maxDurationSeconds: 86_400,
  maxGpusPerJob: 8,
  simulationAllowed: false,
};

describe('job spec validation', () => {
  it('accepts a valid spec', () => expect(validateJobSpec(aSpec(), limits)).toEqual([]));
  it('names every bad field and what is accepted', () => {
    const bad = aSpec({
      workload: {
        image: 'Not An Image',
        command: [],
        args: [],
        env: { 'bad name': 'x', STARMINER_X: '1' },
        template: undefined,
      },
      gpu: { product: 'B999', count: 9, minVramMib: 0 },
      urgency: 0,
      regionPreference: ['mars', 'us-east', 'us-east'],
      maxPrice: { baseUnits: '1.5' },
      maxDurationSeconds: 0,
      latency: { mode: { $case: 'interactive', value: { clientRegion: 'moon', maxRttMs: 0 } } },
    });
    expect(
      validateJobSpec(bad, limits, { runtime: '5s', fail: false, exitCode: 0 }).map((v) => v.field),
    ).toEqual([
      'spec.workload.image',
      'spec.workload.env.bad name',
      'spec.workload.env.STARMINER_X',
      'spec.gpu.count',
      'spec.gpu.product',
      'spec.urgency',
      'spec.latency.interactive.client_region',
      'spec.latency.interactive.max_rtt_ms',
      'spec.region_preference[0]',
      'spec.region_preference',
      'spec.max_price.base_units',
      'spec.max_duration_seconds',
      'simulation',
    ]);
    expect(validateJobSpec(undefined, limits)).toEqual([{ field: 'spec', reason: 'is required' }]);
  });
  it('checks the simulation block only where it is allowed', () => {
    const allowed = { ...limits, simulationAllowed: true };
    expect(validateJobSpec(aSpec(), allowed, { runtime: '5s', fail: true, exitCode: 3 })).toEqual(
      [],
    );
    expect(
      validateJobSpec(aSpec(), allowed, { runtime: 'soon', fail: true, exitCode: 0 }).map(
        (v) => v.field,
      ),
    ).toEqual(['simulation.runtime', 'simulation.exit_code']);
  });
  it('derives the class from the image when not given', () => {
    const cls = (image: string) =>
      classifyJob(
        aSpec({ workload: { image, command: [], args: [], env: {}, template: undefined } }),
      );
    expect(cls('vllm/vllm-openai:v0.6')).toBe(commonV1.JobClass.JOB_CLASS_INFERENCE);
    expect(cls('docker.io/pytorch/pytorch:2.4')).toBe(commonV1.JobClass.JOB_CLASS_TRAINING);
    expect(cls('blender/blender:4')).toBe(commonV1.JobClass.JOB_CLASS_RENDERING);
    expect(cls('ghcr.io/acme/thing:1')).toBe(commonV1.JobClass.JOB_CLASS_OTHER);
    expect(classifyJob(aSpec({ jobClass: commonV1.JobClass.JOB_CLASS_RENDERING }))).toBe(
      commonV1.JobClass.JOB_CLASS_RENDERING,
    );
  });
});

describe('Kubernetes Job of a dispatch', () => {
  const m = kubernetesJobManifest({
    jobId: '0190A000-0000-7000-8000-000000000001',
    tenant: 'tenant 1',
    attempt: 2,
    namespace: 'ns',
    placement: { provider: '0xabc', region: 'us-east', pool: 'h100-a', node: 'us-east-h100-a-1' },
    gpus: 4,
    image: 'img:1',
    command: ['run'],
    args: [],
    env: { B: '2', A: '1' },
    maxDurationSeconds: 600,
    ttlSecondsAfterFinished: 300,
    simulation: { runtime: '3s', fail: true, exitCode: 7 },
  }) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  it('is named from the job id and attempt, labelled, limited, pinned, tolerated and bounded', () => {
    expect(m.metadata.name).toBe(kubeJobName('0190a000-0000-7000-8000-000000000001', 2));
    expect(m.metadata.labels).toMatchObject({
      'starminer.io/job-id': '0190A000-0000-7000-8000-000000000001',
      'starminer.io/tenant': 'tenant_1',
      'starminer.io/provider': '0xabc',
    });
    expect(m.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 300,
      podReplacementPolicy: 'Failed',
    });
    expect(m.spec.podFailurePolicy.rules[0]).toEqual({
      action: 'Ignore',
      onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }],
    });
    const pod = m.spec.template.spec;
    expect(pod.nodeSelector).toEqual({
      'starminer.io/pool': 'h100-a',
      'starminer.io/provider': '0xabc',
      'kubernetes.io/hostname': 'us-east-h100-a-1',
    });
    expect(pod.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(pod.containers[0].resources.limits).toEqual({ 'nvidia.com/gpu': '4' });
    expect(pod.containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(m.spec.template.metadata.annotations).toEqual({
      'starminer.io/sim-runtime': '3s',
      'starminer.io/sim-outcome': 'failed',
      'starminer.io/sim-exit-code': '7',
    });
  });
});

describe('reading Kubernetes status', () => {
  const pod = {
    name: 'p',
    node: 'n',
    phase: 'Running',
    disrupted: false,
    startedAt: '2030-01-01T00:00:00Z',
  };
  it('classifies running, success, timeout, workload failure and node loss', () => {
    expect(observe({ complete: false, nodeGone: false, pod })).toEqual({
      kind: 'running',
      podName: 'p',
      node: 'n',
      startedAt: pod.startedAt,
    });
    expect(
      observe({ complete: true, nodeGone: false, pod: { ...pod, phase: 'Succeeded' } }).kind,
    ).toBe('succeeded');
    expect(
      observe({ complete: false, failedReason: 'DeadlineExceeded', nodeGone: false, pod }).kind,
    ).toBe('timedOut');
    expect(
      observe({
        complete: false,
        failedReason: 'BackoffLimitExceeded',
        nodeGone: false,
        pod: { ...pod, phase: 'Failed', exitCode: 3 },
      }),
    ).toMatchObject({ kind: 'failed', blame: 'workload', exitCode: 3, reason: 'ExitCode' });
    expect(
      observe({
        complete: false,
        nodeGone: false,
        pod: { ...pod, disrupted: true, disruptionReason: 'DeletionByPodGC' },
      }),
    ).toMatchObject({ kind: 'nodeLost', node: 'n' });
    expect(observe({ complete: false, nodeGone: true, pod })).toMatchObject({ kind: 'nodeLost' });
    expect(observe({ complete: false, nodeGone: false }).kind).toBe('pending');
  });
  it('meters whole GPU-seconds between start and end', () => {
    expect(meteredGpuSeconds(4, 1_000, 6_900)).toBe(20n);
    expect(meteredGpuSeconds(4, undefined, 6_900)).toBe(0n);
    expect(meteredGpuSeconds(4, 7_000, 6_900)).toBe(0n);
  });
});
