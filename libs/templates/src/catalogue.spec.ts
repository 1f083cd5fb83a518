import { expandTemplate, findTemplate, listTemplates } from './catalogue';
import { type TemplateDefinition } from './template';

const expandOk = (name: string, params: unknown) => {
  const r = expandTemplate(name, undefined, params);
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.specs;
};
const errorsOf = (name: string, params: unknown, version?: string) => {
  const r = expandTemplate(name, version, params);
  if (r.ok) throw new Error('expected field errors');
  return r.errors;
};

describe('template catalogue', () => {
  it('lists the latest version of each template by name', () => {
    const v2: TemplateDefinition = { ...findTemplate('stable-diffusion')!, version: '1.10.0' };
    const names = listTemplates([...listTemplates(), v2]).map((t) => `${t.name}@${t.version}`);
    expect(names).toEqual(['llm-finetune@1.0.0', 'stable-diffusion@1.10.0', 'unreal-render@1.0.0']);
  });

  it('refuses an unknown template naming the known ones', () => {
    expect(errorsOf('dall-e', {})).toEqual([
      expect.objectContaining({
        field: 'template.name',
        accepted: 'one of llm-finetune, stable-diffusion, unreal-render',
      }),
    ]);
  });

  it('refuses an unknown version naming the known ones', () => {
    expect(errorsOf('llm-finetune', {}, '9.9.9')[0]).toMatchObject({
      field: 'template.version',
      accepted: expect.stringContaining('1.0.0'),
    });
  });
});

describe('stable-diffusion', () => {
  it('given a prompt only, expands one inference job on a 16 GB GPU with defaults', () => {
    const [spec, ...rest] = expandOk('stable-diffusion', { prompt: 'a red fox' });
    expect(rest).toHaveLength(0);
    expect(spec).toMatchObject({
      jobClass: 'inference',
      gpu: { count: 1, minVramMib: 16384 },
      workload: { env: { SD_PROMPT: 'a red fox', SD_STEPS: '30', SD_WIDTH: '512', SD_BATCH: '1' } },
    });
    expect(spec!.maxDurationSeconds).toBeGreaterThanOrEqual(spec!.expectedDurationSeconds);
  });

  it('needs more memory for large batches of large images', () => {
    const [spec] = expandOk('stable-diffusion', {
      prompt: 'x',
      resolution: '1024x1024',
      batch: 8,
    });
    expect(spec!.gpu.minVramMib).toBe(24 * 1024);
  });

  it('reports every bad field with what is accepted', () => {
    const errors = errorsOf('stable-diffusion', { steps: 0, resolution: '640x480', seed: 1 });
    expect(errors).toEqual(
      expect.arrayContaining([
        {
          field: 'parameters.seed',
          problem: 'is not a parameter of this template',
          accepted: 'parameters prompt, steps, resolution, batch',
        },
        {
          field: 'parameters.prompt',
          problem: 'is required',
          accepted: 'a string of 1 to 2000 characters',
        },
        {
          field: 'parameters.steps',
          problem: 'is out of range: 0',
          accepted: 'an integer from 1 to 150',
        },
        {
          field: 'parameters.resolution',
          problem: 'is not a known value: "640x480"',
          accepted: 'one of 512x512, 768x768, 1024x1024',
        },
      ]),
    );
    expect(errors).toHaveLength(4);
  });

  it('accepts integers given as digit strings and refuses fractions', () => {
    expect(
      expandOk('stable-diffusion', { prompt: 'x', steps: '12' })[0]!.workload.env.SD_STEPS,
    ).toBe('12');
    expect(errorsOf('stable-diffusion', { prompt: 'x', steps: 2.5 })[0]!.problem).toMatch(
      /integer/,
    );
  });

  it('refuses parameters that are not an object', () => {
    expect(errorsOf('stable-diffusion', ['prompt'])[0]!.field).toBe('parameters');
  });
});

describe('llm-finetune', () => {
  const base = { baseModel: 'meta-llama/Llama-3.1-8B', datasetUri: 's3://data/train.jsonl' };

  it('given lora, expands a multi-GPU training job with at least 40 GB per GPU', () => {
    const [spec] = expandOk('llm-finetune', base);
    expect(spec).toMatchObject({ jobClass: 'training', gpu: { count: 2, minVramMib: 40960 } });
    expect(spec!.workload.env).toMatchObject({ FT_METHOD: 'lora', FT_EPOCHS: '3' });
  });

  it('given full fine-tuning, uses 8 GPUs and expects longer than lora', () => {
    const [lora] = expandOk('llm-finetune', base);
    const [full] = expandOk('llm-finetune', { ...base, method: 'full' });
    expect(full!.gpu.count).toBe(8);
    expect(full!.expectedDurationSeconds).toBeGreaterThan(lora!.expectedDurationSeconds);
  });

  it('refuses a single GPU, a bad method and a dataset that is not a URI', () => {
    const errors = errorsOf('llm-finetune', {
      ...base,
      gpus: 1,
      method: 'qlora',
      datasetUri: '/data',
    });
    expect(errors.map((e) => e.field).sort()).toEqual([
      'parameters.datasetUri',
      'parameters.gpus',
      'parameters.method',
    ]);
    expect(errors.find((e) => e.field === 'parameters.method')!.accepted).toBe('one of lora, full');
    expect(errors.find((e) => e.field === 'parameters.datasetUri')!.accepted).toMatch(/s3:\/\//);
  });
});

describe('unreal-render', () => {
  const base = { projectUri: 'https://assets.example/project.zip', frameStart: 1, frameEnd: 240 };

  it('splits the frame range into jobs of framesPerJob frames, the last one shorter', () => {
    const specs = expandOk('unreal-render', { ...base, framesPerJob: 100 });
    expect(specs.map((s) => s.label)).toEqual(['frames 1-100', 'frames 101-200', 'frames 201-240']);
    expect(specs.every((s) => s.jobClass === 'rendering')).toBe(true);
    expect(specs[2]!.workload.env).toMatchObject({ UE_FRAME_START: '201', UE_FRAME_END: '240' });
  });

  it('renders a single frame as one job', () => {
    expect(expandOk('unreal-render', { ...base, frameStart: 7, frameEnd: 7 })).toHaveLength(1);
  });

  it('refuses a range that ends before it starts', () => {
    expect(errorsOf('unreal-render', { ...base, frameStart: 10, frameEnd: 5 })).toEqual([
      expect.objectContaining({
        field: 'parameters.frameEnd',
        problem: 'is before frameStart (5 < 10)',
      }),
    ]);
  });

  it('refuses a split into too many jobs, saying what chunk size would do', () => {
    const [error] = errorsOf('unreal-render', { ...base, frameEnd: 100_000, framesPerJob: 1 });
    expect(error).toMatchObject({
      field: 'parameters.framesPerJob',
      accepted: expect.stringMatching(/^at least 500 for this range/),
    });
  });
});
