import { GIB, type TemplateDefinition, withHeadroom } from './template';

/** Seconds per denoising step per image at each resolution on a 16 GB-class GPU. */
const SECONDS_PER_STEP: Record<string, number> = {
  '512x512': 0.1,
  '768x768': 0.25,
  '1024x1024': 0.5,
};

export const stableDiffusionV1: TemplateDefinition = {
  name: 'stable-diffusion',
  version: '1.0.0',
  title: 'Stable Diffusion text-to-image',
  description: 'Generates images from a text prompt (inference, one GPU with at least 16 GB).',
  jobClass: 'inference',
  parameters: {
    prompt: {
      type: 'string',
      description: 'Text prompt describing the image.',
      required: true,
      minLength: 1,
      maxLength: 2000,
    },
    steps: {
      type: 'integer',
      description: 'Denoising steps.',
      default: 30,
      minimum: 1,
      maximum: 150,
    },
    resolution: {
      type: 'enum',
      description: 'Output size in pixels, width x height.',
      default: '512x512',
      values: ['512x512', '768x768', '1024x1024'],
    },
    batch: {
      type: 'integer',
      description: 'Images generated per run.',
      default: 1,
      minimum: 1,
      maximum: 16,
    },
  },
  expand(p) {
    const resolution = String(p.resolution);
    const steps = Number(p.steps);
    const batch = Number(p.batch);
    const [width, height] = resolution.split('x');
    // Large images in large batches no longer fit 16 GB.
    const minVramMib = resolution === '1024x1024' && batch > 4 ? 24 * GIB : 16 * GIB;
    const expected = Math.ceil(60 + steps * batch * SECONDS_PER_STEP[resolution]!);
    return [
      {
        label: `${batch} image(s) at ${resolution}`,
        workload: {
          image: 'ghcr.io/starminer/templates/stable-diffusion:1.0.0',
          command: ['python', '-m', 'starminer_sd.generate'],
          args: [],
          env: {
            SD_PROMPT: String(p.prompt),
            SD_STEPS: String(steps),
            SD_WIDTH: width!,
            SD_HEIGHT: height!,
            SD_BATCH: String(batch),
          },
        },
        gpu: { product: '', count: 1, minVramMib },
        jobClass: 'inference',
        expectedDurationSeconds: expected,
        maxDurationSeconds: withHeadroom(expected),
      },
    ];
  },
};
