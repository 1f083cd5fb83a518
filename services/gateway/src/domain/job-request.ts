import { type TemplateJobClass, expandTemplate } from '@starminer/templates';
import { type FieldProblem } from './errors';

export const URGENCIES = ['low', 'normal', 'high', 'critical'] as const;
export type UrgencyName = (typeof URGENCIES)[number];
export const JOB_CLASSES = ['training', 'inference', 'rendering', 'other'] as const;

/** A job ready to forward: everything checked, in the public API's plain words. */
export interface NormalizedJob {
  label: string;
  template?: { name: string; version: string };
  workload: { image: string; command: string[]; args: string[]; env: Record<string, string> };
  gpu: { product: string; count: number; minVramMib: number };
  jobClass: TemplateJobClass;
  urgency: UrgencyName;
  regionPreference: string[];
  latency: { mode: 'batch' } | { mode: 'interactive'; clientRegion: string; maxRttMs: number };
  /** Decimal base units; empty means no cap. */
  maxPrice: string;
  maxDurationSeconds: number;
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const REGION = /^[a-z][a-z0-9-]{1,31}$/;
const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]{0,254}$/i;

class Problems {
  readonly list: FieldProblem[] = [];
  add(field: string, problem: string, accepted: string): void {
    this.list.push({ field, problem, accepted });
  }
}

function strings(p: Problems, v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    p.add(field, 'must be a list of strings', 'an array of strings');
    return [];
  }
  return v as string[];
}

function intIn(p: Problems, v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    p.add(
      field,
      v === undefined ? 'is required' : `is not valid: ${JSON.stringify(v)}`,
      `an integer from ${min} to ${max}`,
    );
    return min;
  }
  return v;
}

/** The submitter's choices, common to a spec and a template. */
function choices(p: Problems, body: Raw, regions: readonly string[]) {
  const accepted = `one of ${regions.join(', ')}`;
  const urgency = body.urgency ?? 'normal';
  if (!URGENCIES.includes(urgency as UrgencyName))
    p.add('urgency', `is not valid: ${JSON.stringify(urgency)}`, `one of ${URGENCIES.join(', ')}`);
  const regionPreference = strings(p, body.regionPreference, 'regionPreference');
  regionPreference.forEach((r, i) => {
    if (!REGION.test(r) || !regions.includes(r))
      p.add(`regionPreference[${i}]`, `is not a known region: ${JSON.stringify(r)}`, accepted);
  });
  let latency: NormalizedJob['latency'] = { mode: 'batch' };
  const l = body.latency;
  if (l !== undefined) {
    if (!isObject(l) || (l.mode !== 'batch' && l.mode !== 'interactive'))
      p.add('latency.mode', 'is not valid', 'batch, or interactive with clientRegion and maxRttMs');
    else if (l.mode === 'interactive') {
      const clientRegion = typeof l.clientRegion === 'string' ? l.clientRegion : '';
      if (!REGION.test(clientRegion) || !regions.includes(clientRegion))
        p.add(
          'latency.clientRegion',
          `is not a known region: ${JSON.stringify(l.clientRegion)}`,
          accepted,
        );
      latency = {
        mode: 'interactive',
        clientRegion,
        maxRttMs: intIn(p, l.maxRttMs, 'latency.maxRttMs', 1, 60_000),
      };
    }
  }
  const maxPrice = body.maxPrice ?? '';
  if (maxPrice !== '' && (typeof maxPrice !== 'string' || !/^(0|[1-9]\d{0,77})$/.test(maxPrice)))
    p.add(
      'maxPrice',
      `is not valid: ${JSON.stringify(maxPrice)}`,
      'a decimal string of AGPU base units, e.g. "1500000000000000000"',
    );
  return { urgency: urgency as UrgencyName, regionPreference, latency, maxPrice: String(maxPrice) };
}

function specJob(
  p: Problems,
  spec: unknown,
): Omit<NormalizedJob, keyof ReturnType<typeof choices>> | undefined {
  if (!isObject(spec)) {
    p.add(
      'spec',
      'must be an object',
      'an object with workload, gpu, jobClass, maxDurationSeconds',
    );
    return undefined;
  }
  const w = isObject(spec.workload) ? spec.workload : {};
  if (!isObject(spec.workload))
    p.add('spec.workload', 'is required', 'an object with image, command, args, env');
  const image = typeof w.image === 'string' ? w.image : '';
  if (!IMAGE.test(image))
    p.add(
      'spec.workload.image',
      `is not valid: ${JSON.stringify(w.image)}`,
      'an OCI image reference such as ghcr.io/org/app:1.0',
    );
  const env: Record<string, string> = {};
  if (w.env !== undefined) {
    if (!isObject(w.env) || Object.values(w.env).some((v) => typeof v !== 'string'))
      p.add('spec.workload.env', 'must map names to strings', 'an object of string values');
    else
      for (const [k, v] of Object.entries(w.env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k))
          p.add(
            `spec.workload.env.${k}`,
            'is not a valid variable name',
            'letters, digits and _, not starting with a digit',
          );
        env[k] = v as string;
      }
  }
  const g = isObject(spec.gpu) ? spec.gpu : {};
  if (!isObject(spec.gpu))
    p.add('spec.gpu', 'is required', 'an object with count and product or minVramMib');
  const product = typeof g.product === 'string' ? g.product : '';
  const minVramMib =
    g.minVramMib === undefined ? 0 : intIn(p, g.minVramMib, 'spec.gpu.minVramMib', 0, 1_048_576);
  if (isObject(spec.gpu) && !product && !minVramMib)
    p.add(
      'spec.gpu',
      'names neither a product nor a minimum memory',
      'product (e.g. NVIDIA-H100-80GB-HBM3) or minVramMib > 0',
    );
  const jobClass = spec.jobClass;
  if (!JOB_CLASSES.includes(jobClass as TemplateJobClass))
    p.add(
      'spec.jobClass',
      `is not valid: ${JSON.stringify(jobClass)}`,
      `one of ${JOB_CLASSES.join(', ')}`,
    );
  return {
    label: 'job',
    workload: {
      image,
      command: strings(p, w.command, 'spec.workload.command'),
      args: strings(p, w.args, 'spec.workload.args'),
      env,
    },
    gpu: { product, count: intIn(p, g.count, 'spec.gpu.count', 1, 64), minVramMib },
    jobClass: jobClass as TemplateJobClass,
    maxDurationSeconds: intIn(
      p,
      spec.maxDurationSeconds,
      'spec.maxDurationSeconds',
      1,
      30 * 86_400,
    ),
  };
}

/**
 * Checks a job request (a spec, or a template with parameters, plus the submitter's choices)
 * and turns it into the jobs to forward. Every problem is collected; with any, nothing is
 * returned, so a refused request creates nothing.
 */
export function normalizeJobRequest(
  body: unknown,
  regions: readonly string[],
): { ok: true; jobs: NormalizedJob[] } | { ok: false; problems: FieldProblem[] } {
  const p = new Problems();
  if (!isObject(body))
    return {
      ok: false,
      problems: [
        {
          field: 'body',
          problem: 'must be a JSON object',
          accepted: 'an object with spec or template',
        },
      ],
    };
  const common = choices(p, body, regions);
  let jobs: NormalizedJob[] = [];
  if (body.spec !== undefined && body.template !== undefined)
    p.add('template', 'is given together with spec', 'either spec or template, not both');
  else if (body.spec !== undefined) {
    const job = specJob(p, body.spec);
    if (job) jobs = [{ ...job, ...common }];
  } else if (isObject(body.template)) {
    const t = body.template;
    if (typeof t.name !== 'string' || t.name === '')
      p.add('template.name', 'is required', 'a template name from GET /v1/templates');
    else {
      const r = expandTemplate(
        t.name,
        typeof t.version === 'string' && t.version ? t.version : undefined,
        t.parameters,
      );
      if (!r.ok)
        for (const e of r.errors)
          p.add(
            e.field.startsWith('parameters') ? `template.${e.field}` : e.field,
            e.problem,
            e.accepted,
          );
      else
        jobs = r.specs.map((s) => ({
          ...s,
          template: { name: r.template.name, version: r.template.version },
          ...common,
        }));
    }
  } else
    p.add(
      'spec',
      'is required (or template)',
      'spec (a full job spec) or template ({name, version, parameters})',
    );
  return p.list.length ? { ok: false, problems: p.list } : { ok: true, jobs };
}
