import { commonV1 } from '@starminer/proto';
import { type JobEvent } from '@starminer/eventing';
import { decide } from './job-decide';
import { type JobCommand } from './job-commands';
import { evolve, initialJob, type JobState } from './job-state';

/** Builders shared by the domain specs (no I/O; not part of the service build). */
export function aSpec(overrides: Partial<commonV1.JobSpec> = {}): commonV1.JobSpec {
  return {
    workload: {
      image: 'ghcr.io/acme/train:1.0',
      command: ['python', 'train.py'],
      args: [],
      env: {},
      template: undefined,
    },
    gpu: { product: 'H100-80GB', count: 2, minVramMib: 0 },
    jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED,
    urgency: commonV1.Urgency.URGENCY_NORMAL,
    latency: { mode: { $case: 'batch', value: {} } },
    regionPreference: [],
    maxPrice: { baseUnits: '1000000000' },
    maxDurationSeconds: 600,
    ...overrides,
  };
}

export const T0 = '2030-01-01T00:00:00.000Z';

/** Applies commands in order, failing on the first refusal; returns the state and all events. */
export function given(
  commands: JobCommand[],
  from: JobState = initialJob,
): { state: JobState; events: JobEvent[] } {
  let state = from;
  const events: JobEvent[] = [];
  for (const c of commands) {
    const produced = decide(state, c);
    events.push(...produced);
    state = produced.reduce(evolve, state);
  }
  return { state, events };
}

export const submit = (spec = aSpec()): JobCommand => ({
  type: 'SubmitJob',
  jobId: '0190a000-0000-7000-8000-000000000001',
  clientId: 'tenant-1',
  clientAddress: '0x00000000000000000000000000000000000000c1',
  spec,
});

export const quote = (pricePerGpuSecond = 10n, total = 12_000n): JobCommand => ({
  type: 'RecordQuote',
  quote: {
    quoteId: 'q-1',
    gpuProduct: 'NVIDIA-H100-80GB-HBM3',
    region: 'us-east',
    pricePerGpuSecond,
    total,
    expiresAt: '2030-01-01T00:10:00.000Z',
    signer: '0x00000000000000000000000000000000000000a1',
    signature: new Uint8Array(65),
  },
});

export const fund = (deposit = 12_000n, quoteId = 'q-1'): JobCommand => ({
  type: 'RecordFunding',
  quoteId,
  deposit,
  placementDeadline: '2030-01-01T00:20:00.000Z',
});

export const match = (node = 'us-east-h100-a-0'): JobCommand => ({
  type: 'Match',
  placement: { provider: '0xp', region: 'us-east', pool: 'h100-a', node },
  score: 0.8,
  weightsVersion: 1,
});

export const dispatch = (attempt = 1): JobCommand => ({
  type: 'RecordDispatch',
  namespace: 'starminer-jobs',
  name: `sm-job-${attempt}`,
});

export const start = (attempt = 1, node = 'us-east-h100-a-0'): JobCommand => ({
  type: 'RecordStart',
  attempt,
  podName: `pod-${attempt}`,
  node,
  startedAt: T0,
});
