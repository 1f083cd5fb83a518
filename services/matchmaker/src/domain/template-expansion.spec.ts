import { commonV1 } from '@starminer/proto';
import { aSpec } from './job.fixtures';
import { validateJobSpec } from './job-spec';
import { expandWorkloadTemplate } from './template-expansion';

const LIMITS = {
  regions: ['us-east', 'eu-west', 'ap-south'],
  maxDurationSeconds: 7 * 86_400,
  maxGpusPerJob: 8,
  simulationAllowed: false,
};

const templated = (
  name: string,
  parametersJson: string,
  o: Partial<commonV1.JobSpec> = {},
  version = '',
): commonV1.JobSpec =>
  aSpec({
    workload: {
      image: '',
      command: [],
      args: [],
      env: {},
      template: { name, version, parametersJson },
    },
    gpu: undefined,
    maxDurationSeconds: 0,
    ...o,
  });

describe('workload template expansion', () => {
  it('given a stable-diffusion reference, then the spec gets its image, command, env, GPU requirement, class and max duration', () => {
    const out = expandWorkloadTemplate(
      templated('stable-diffusion', '{"prompt":"a red fox","steps":20}'),
    );
    expect(out.ok).toBe(true);
    const spec = (out as { spec: commonV1.JobSpec }).spec;
    expect(spec.workload).toMatchObject({
      image: 'ghcr.io/starminer/templates/stable-diffusion:1.0.0',
      command: ['python', '-m', 'starminer_sd.generate'],
      env: expect.objectContaining({ SD_PROMPT: 'a red fox', SD_STEPS: '20' }),
      template: { name: 'stable-diffusion', version: '1.0.0' },
    });
    expect(spec.gpu).toEqual({ product: '', count: 1, minVramMib: 16 * 1024 });
    expect(spec.jobClass).toBe(commonV1.JobClass.JOB_CLASS_INFERENCE);
    expect(spec.maxDurationSeconds).toBe(600);
    // The expanded spec is a valid job spec.
    expect(validateJobSpec(spec, LIMITS)).toEqual([]);
  });

  it('keeps what the client set: a GPU requirement, a class and a max duration', () => {
    const out = expandWorkloadTemplate(
      templated('stable-diffusion', '{"prompt":"x"}', {
        gpu: { product: 'NVIDIA-H100-80GB-HBM3', count: 2, minVramMib: 0 },
        jobClass: commonV1.JobClass.JOB_CLASS_OTHER,
        maxDurationSeconds: 90,
      }),
    );
    const spec = (out as { spec: commonV1.JobSpec }).spec;
    expect(spec.gpu).toEqual({ product: 'NVIDIA-H100-80GB-HBM3', count: 2, minVramMib: 0 });
    expect(spec.jobClass).toBe(commonV1.JobClass.JOB_CLASS_OTHER);
    expect(spec.maxDurationSeconds).toBe(90);
  });

  it('given bad parameters, then every bad one is a field violation naming what is accepted', () => {
    const out = expandWorkloadTemplate(
      templated('stable-diffusion', '{"steps":999,"resolution":"9x9"}'),
    );
    expect(out.ok).toBe(false);
    const fields = (out as { violations: { field: string; reason: string }[] }).violations;
    expect(fields.map((f) => f.field).sort()).toEqual([
      'spec.workload.template.parameters_json.prompt',
      'spec.workload.template.parameters_json.resolution',
      'spec.workload.template.parameters_json.steps',
    ]);
    expect(fields.find((f) => f.field.endsWith('.steps'))!.reason).toMatch(
      /accepted: an integer from 1 to 150/,
    );
  });

  it('refuses an unknown template or version, JSON that does not parse, and a template beside an image', () => {
    const field = (s: commonV1.JobSpec) =>
      (expandWorkloadTemplate(s) as { violations: { field: string }[] }).violations.map(
        (v) => v.field,
      );
    expect(field(templated('stable-fusion', '{}'))).toEqual(['spec.workload.template.name']);
    expect(field(templated('stable-diffusion', '{}', {}, '9.9.9'))).toEqual([
      'spec.workload.template.version',
    ]);
    expect(field(templated('stable-diffusion', '{prompt'))).toEqual([
      'spec.workload.template.parameters_json',
    ]);
    const both = templated('stable-diffusion', '{"prompt":"x"}');
    both.workload!.image = 'ghcr.io/acme/x:1';
    expect(field(both)).toEqual(['spec.workload']);
  });

  it('leaves a spec without a template as it is', () => {
    const spec = aSpec();
    expect(expandWorkloadTemplate(spec)).toEqual({ ok: true, spec });
  });
});
