import { commonV1, gatewayV1 } from '@starminer/proto';
import { jobClassEnum, jobStateEnum, quoteBody, submitBody } from './job-request.mapping';

const spec = (o: Partial<commonV1.JobSpec> = {}): commonV1.JobSpec =>
  commonV1.JobSpec.fromPartial({
    workload: { image: 'ghcr.io/a/b:1', command: ['run'], args: [], env: { A: 'b' } },
    gpu: { product: 'NVIDIA-L40S', count: 1, minVramMib: 0 },
    jobClass: commonV1.JobClass.JOB_CLASS_INFERENCE,
    maxDurationSeconds: 600,
    ...o,
  });

describe('gRPC request mapping', () => {
  it('given a template with choices, when mapped, then the REST body carries the same words', () => {
    const { body, problems } = submitBody(
      gatewayV1.SubmitJobRequest.fromPartial({
        idempotencyKey: 'k-1',
        template: { name: 'stable-diffusion', version: '', parametersJson: '{"prompt":"fox"}' },
        urgency: commonV1.Urgency.URGENCY_HIGH,
        regionPreference: ['eu-west'],
        maxPrice: { baseUnits: '100' },
      }),
    );
    expect(problems).toEqual([]);
    expect(body).toEqual({
      idempotencyKey: 'k-1',
      template: { name: 'stable-diffusion', version: '', parameters: { prompt: 'fox' } },
      urgency: 'high',
      regionPreference: ['eu-west'],
      maxPrice: '100',
    });
  });

  it('given unset enums, when mapped, then they are absent (a missing class stays missing)', () => {
    const { body } = submitBody(
      gatewayV1.SubmitJobRequest.fromPartial({
        spec: spec({ jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED }),
      }),
    );
    expect(body).not.toHaveProperty('urgency');
    expect((body.spec as Record<string, unknown>).jobClass).toBeUndefined();
  });

  it("given a spec's own choices, when the request leaves them unset, then the spec's are used", () => {
    const { body } = submitBody(
      gatewayV1.SubmitJobRequest.fromPartial({
        spec: spec({
          urgency: commonV1.Urgency.URGENCY_LOW,
          regionPreference: ['us-east'],
          latency: {
            mode: { $case: 'interactive', value: { clientRegion: 'us-east', maxRttMs: 50 } },
          },
        }),
      }),
    );
    expect(body).toMatchObject({
      urgency: 'low',
      regionPreference: ['us-east'],
      latency: { mode: 'interactive', clientRegion: 'us-east', maxRttMs: 50 },
      spec: { jobClass: 'inference', gpu: { product: 'NVIDIA-L40S', count: 1 } },
    });
  });

  it('given parameters that are not JSON, when mapped, then the field is named', () => {
    const { problems } = submitBody(
      gatewayV1.SubmitJobRequest.fromPartial({
        template: { name: 'stable-diffusion', parametersJson: '{"prompt":' },
      }),
    );
    expect(problems.map((p) => p.field)).toEqual(['template.parametersJson']);
  });

  it('given a quote without a job, when mapped, then job is reported missing', () => {
    expect(quoteBody(gatewayV1.QuoteRequest.fromPartial({})).problems[0]?.field).toBe('job');
  });

  it('maps public names to enums and back', () => {
    expect(jobStateEnum('RUNNING')).toBe(commonV1.JobState.JOB_STATE_RUNNING);
    expect(jobClassEnum('training')).toBe(commonV1.JobClass.JOB_CLASS_TRAINING);
  });
});
