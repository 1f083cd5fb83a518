import { type JobFacts, type Placement, outcomeEvidence, startupEvidence } from './job-outcome';
import { DEFAULT_MODEL as M } from './model-config';

const placement: Placement = { provider: '0xprov', region: 'eu-west', pool: 'a100', node: 'n1' };
const ref = { eventId: 'e1', atMs: 1_000_000 };
const facts = (over: Partial<JobFacts> = {}): JobFacts => ({
  jobId: 'j1',
  clientAddress: '0xclient',
  gpuCount: 2,
  maxDurationSeconds: 600,
  estimatedRuntimeSeconds: 0,
  dispatchedAtMs: 900_000,
  startedAtMs: 910_000,
  ...over,
});

describe('outcomeEvidence', () => {
  it('weights a success by its GPU-seconds and pins it to the pool', () => {
    const [e] = outcomeEvidence(
      ref,
      placement,
      { type: 'succeeded', gpuSeconds: 7_200 },
      facts(),
      M,
    );
    expect(e).toMatchObject({
      kind: 'success',
      weight: 2,
      provider: '0xprov',
      pool: 'eu-west/a100',
      jobId: 'j1',
    });
  });

  it('adds runtime-vs-estimate evidence when the job had an estimate', () => {
    const ev = outcomeEvidence(
      ref,
      placement,
      { type: 'succeeded', gpuSeconds: 1_200 },
      facts({ estimatedRuntimeSeconds: 300 }),
      M,
    );
    expect(ev[1]).toMatchObject({ kind: 'runtime', ratio: 2 });
  });

  it('ignores workload errors', () => {
    const [e] = outcomeEvidence(
      ref,
      placement,
      { type: 'failed', gpuSeconds: 100, providerFault: false, reason: 'ExitCode' },
      facts(),
      M,
    );
    expect(e).toMatchObject({ kind: 'ignored', cause: 'workload-error' });
  });

  it('classifies provider faults: node lost, pod never started, other node faults', () => {
    const lost = outcomeEvidence(
      ref,
      placement,
      { type: 'failed', gpuSeconds: 100, providerFault: true, reason: 'NodeLost' },
      facts(),
      M,
    );
    // lost after 100 GPU-seconds, but the job reserved 2 GPUs x 600 s: it costs 1/3 unit
    expect(lost[0]).toMatchObject({ kind: 'fault', cause: 'node-lost', weight: 1_200 / 3_600 });
    const never = outcomeEvidence(
      ref,
      placement,
      { type: 'failed', gpuSeconds: 0, providerFault: true, reason: 'PodNeverStarted' },
      facts({ startedAtMs: undefined }),
      M,
    );
    // a job that never ran costs the client its reserved time: 2 GPUs x 600 s = 1/3 unit
    expect(never[0]).toMatchObject({
      kind: 'fault',
      cause: 'pod-never-started',
      weight: 1_200 / 3_600,
    });
    const gpu = outcomeEvidence(
      ref,
      placement,
      { type: 'failed', gpuSeconds: 10, providerFault: true, reason: 'GpuError' },
      facts({ gpuCount: 1, maxDurationSeconds: 60 }),
      M,
    );
    expect(gpu[0]).toMatchObject({ kind: 'fault', cause: 'node-fault', weight: M.minFaultWeight });
  });

  it('weighs a fault as the job it lost, however early the loss', () => {
    const f = facts({ gpuCount: 1, maxDurationSeconds: 7_200, estimatedRuntimeSeconds: 3_600 });
    const lost = (gpuSeconds: number) =>
      outcomeEvidence(
        ref,
        placement,
        { type: 'failed', gpuSeconds, providerFault: true, reason: 'NodeLost' },
        f,
        M,
      )[0];
    const success = outcomeEvidence(ref, placement, { type: 'succeeded', gpuSeconds: 3_600 }, f, M);
    // the estimate (1 GPU-hour), as much as the same job completed
    expect(lost(60)).toMatchObject({ kind: 'fault', weight: 1 });
    expect(lost(1_800)).toMatchObject({ kind: 'fault', weight: 1 });
    expect(success[0]).toMatchObject({ kind: 'success', weight: 1 });
    // ran past its estimate before the loss: what it ran
    expect(lost(5_400)).toMatchObject({ kind: 'fault', weight: 1.5 });
    // capped like a success
    expect(
      outcomeEvidence(
        ref,
        placement,
        { type: 'failed', gpuSeconds: 0, providerFault: true, reason: 'NodeLost' },
        facts({ gpuCount: 8, maxDurationSeconds: 86_400 }),
        M,
      )[0],
    ).toMatchObject({ kind: 'fault', weight: M.maxJobWeight });
  });

  it('blames a timeout on the provider only when the workload did not get its time', () => {
    const healthy = outcomeEvidence(
      ref,
      placement,
      { type: 'timed-out', gpuSeconds: 2 * 100, maxDurationSeconds: 600 },
      facts(),
      M,
    );
    expect(healthy[0]).toMatchObject({ kind: 'fault', cause: 'timed-out-healthy' });
    const own = outcomeEvidence(
      ref,
      placement,
      { type: 'timed-out', gpuSeconds: 2 * 600, maxDurationSeconds: 600 },
      facts(),
      M,
    );
    expect(own[0]).toMatchObject({ kind: 'ignored', cause: 'workload-timeout' });
  });

  it('ignores self-dealing: the client wallet is the provider wallet (any case)', () => {
    const f = facts({ clientAddress: '0xPROV' });
    expect(
      outcomeEvidence(ref, placement, { type: 'succeeded', gpuSeconds: 36_000 }, f, M),
    ).toEqual([expect.objectContaining({ kind: 'ignored', cause: 'self-dealing' })]);
    expect(startupEvidence(ref, placement, f, 1_000_000)).toEqual([]);
  });

  it('records dispatch-to-running seconds', () => {
    expect(startupEvidence(ref, placement, facts(), 960_000)[0]).toMatchObject({
      kind: 'startup',
      seconds: 60,
    });
    expect(startupEvidence(ref, placement, facts({ dispatchedAtMs: undefined }), 960_000)).toEqual(
      [],
    );
  });
});
