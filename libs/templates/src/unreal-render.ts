import { type FieldError } from './parameters';
import { GIB, type TemplateDefinition, type TemplateJobSpec, withHeadroom } from './template';

/** Seconds to render one frame on one GPU, by resolution. */
const SECONDS_PER_FRAME: Record<string, number> = {
  '1280x720': 4,
  '1920x1080': 8,
  '3840x2160': 30,
};

/** More jobs than this for one render is almost certainly a mistake in frame range or chunk size. */
export const MAX_RENDER_JOBS = 200;

export const unrealRenderV1: TemplateDefinition = {
  name: 'unreal-render',
  version: '1.0.0',
  title: 'Unreal Engine movie render',
  description:
    'Renders a frame range of an Unreal Engine project with Movie Render Queue, split into one job per chunk of frames (rendering).',
  jobClass: 'rendering',
  parameters: {
    projectUri: {
      type: 'string',
      description: 'Packaged project archive: s3://, gs://, https:// or ipfs:// URI.',
      required: true,
      maxLength: 2000,
      pattern: '(s3|gs|https|ipfs)://[^\\s]+',
      patternDescription: 'an s3://, gs://, https:// or ipfs:// URI',
    },
    frameStart: {
      type: 'integer',
      description: 'First frame to render (inclusive).',
      required: true,
      minimum: 0,
      maximum: 1_000_000,
    },
    frameEnd: {
      type: 'integer',
      description: 'Last frame to render (inclusive), not before frameStart.',
      required: true,
      minimum: 0,
      maximum: 1_000_000,
    },
    resolution: {
      type: 'enum',
      description: 'Output size in pixels, width x height.',
      default: '1920x1080',
      values: ['1280x720', '1920x1080', '3840x2160'],
    },
    framesPerJob: {
      type: 'integer',
      description: 'Frames rendered by each job; the range is split into jobs of this many.',
      default: 50,
      minimum: 1,
      maximum: 10_000,
    },
  },
  expand(p) {
    const start = Number(p.frameStart);
    const end = Number(p.frameEnd);
    const chunk = Number(p.framesPerJob);
    const resolution = String(p.resolution);
    const errors: FieldError[] = [];
    if (end < start)
      errors.push({
        field: 'parameters.frameEnd',
        problem: `is before frameStart (${end} < ${start})`,
        accepted: `an integer from ${start} (frameStart) to 1000000`,
      });
    const jobs = Math.ceil((end - start + 1) / chunk);
    if (errors.length === 0 && jobs > MAX_RENDER_JOBS)
      errors.push({
        field: 'parameters.framesPerJob',
        problem: `splits ${end - start + 1} frames into ${jobs} jobs`,
        accepted: `at least ${Math.ceil((end - start + 1) / MAX_RENDER_JOBS)} for this range (at most ${MAX_RENDER_JOBS} jobs per render)`,
      });
    if (errors.length) return errors;
    const [width, height] = resolution.split('x');
    const specs: TemplateJobSpec[] = [];
    for (let first = start; first <= end; first += chunk) {
      const last = Math.min(end, first + chunk - 1);
      const expected = Math.ceil(120 + (last - first + 1) * SECONDS_PER_FRAME[resolution]!);
      specs.push({
        label: `frames ${first}-${last}`,
        workload: {
          image: 'ghcr.io/starminer/templates/unreal-render:1.0.0',
          command: ['/opt/starminer/render.sh'],
          args: [],
          env: {
            UE_PROJECT_URI: String(p.projectUri),
            UE_FRAME_START: String(first),
            UE_FRAME_END: String(last),
            UE_WIDTH: width!,
            UE_HEIGHT: height!,
          },
        },
        gpu: { product: '', count: 1, minVramMib: resolution === '3840x2160' ? 16 * GIB : 8 * GIB },
        jobClass: 'rendering',
        expectedDurationSeconds: expected,
        maxDurationSeconds: withHeadroom(expected),
      });
    }
    return specs;
  },
};
