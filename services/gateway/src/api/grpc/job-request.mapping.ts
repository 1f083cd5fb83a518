import { commonV1, type gatewayV1 } from '@starminer/proto';
import { type FieldProblem } from '../../domain/errors';

/**
 * Turns the gRPC request messages into the request body the use cases validate (the REST
 * body's shape), so both APIs share one validation with the same field names. Unset enums
 * (0) become absent fields: a missing job class is then reported like a missing JSON field.
 */

const enumName = (json: string, prefix: string): string | undefined =>
  json.startsWith(prefix) && !json.endsWith('_UNSPECIFIED')
    ? json.slice(prefix.length).toLowerCase()
    : undefined;

const urgencyOf = (u: commonV1.Urgency) =>
  u ? (enumName(commonV1.urgencyToJSON(u), 'URGENCY_') ?? `unknown(${u})`) : undefined;

function latencyOf(l: commonV1.LatencyRequirement | undefined) {
  if (!l?.mode) return undefined;
  return l.mode.$case === 'batch'
    ? { mode: 'batch' }
    : {
        mode: 'interactive',
        clientRegion: l.mode.value.clientRegion,
        maxRttMs: l.mode.value.maxRttMs,
      };
}

function specBody(s: commonV1.JobSpec): Record<string, unknown> {
  return {
    workload: s.workload && {
      image: s.workload.image,
      command: s.workload.command,
      args: s.workload.args,
      env: s.workload.env,
    },
    gpu: s.gpu && {
      product: s.gpu.product,
      count: s.gpu.count,
      ...(s.gpu.minVramMib ? { minVramMib: s.gpu.minVramMib } : {}),
    },
    jobClass: s.jobClass
      ? (enumName(commonV1.jobClassToJSON(s.jobClass), 'JOB_CLASS_') ?? `unknown(${s.jobClass})`)
      : undefined,
    maxDurationSeconds: s.maxDurationSeconds,
  };
}

function templateBody(t: gatewayV1.TemplateRef, problems: FieldProblem[]): Record<string, unknown> {
  let parameters: unknown = {};
  if (t.parametersJson.trim()) {
    try {
      parameters = JSON.parse(t.parametersJson);
    } catch {
      problems.push({
        field: 'template.parametersJson',
        problem: 'is not valid JSON',
        accepted: 'a JSON object of parameters, e.g. {"prompt":"a red fox"}',
      });
    }
  }
  return { name: t.name, version: t.version, parameters };
}

interface Choices {
  urgency: commonV1.Urgency;
  regionPreference: string[];
  latency: commonV1.LatencyRequirement | undefined;
  maxPrice: commonV1.TokenAmount | undefined;
}

function choicesBody(c: Choices, spec?: commonV1.JobSpec): Record<string, unknown> {
  // A spec carries its own choices; the request-level ones fill what the spec leaves unset.
  const urgency = urgencyOf(c.urgency) ?? (spec ? urgencyOf(spec.urgency) : undefined);
  const regions = c.regionPreference.length ? c.regionPreference : (spec?.regionPreference ?? []);
  const latency = latencyOf(c.latency) ?? latencyOf(spec?.latency);
  const maxPrice = c.maxPrice?.baseUnits || spec?.maxPrice?.baseUnits || undefined;
  return {
    ...(urgency ? { urgency } : {}),
    ...(regions.length ? { regionPreference: regions } : {}),
    ...(latency ? { latency } : {}),
    ...(maxPrice ? { maxPrice } : {}),
  };
}

/** The body of a SubmitJob, or the field problems of what could not even be read. */
export function submitBody(r: gatewayV1.SubmitJobRequest): {
  body: Record<string, unknown>;
  problems: FieldProblem[];
} {
  const problems: FieldProblem[] = [];
  const body: Record<string, unknown> = {
    ...choicesBody(r, r.spec),
    ...(r.idempotencyKey ? { idempotencyKey: r.idempotencyKey } : {}),
  };
  if (r.spec) body.spec = specBody(r.spec);
  if (r.template) body.template = templateBody(r.template, problems);
  return { body, problems };
}

/** The body of a Quote (a JobRequest: spec or template plus choices). */
export function quoteBody(r: gatewayV1.QuoteRequest): {
  body: Record<string, unknown>;
  problems: FieldProblem[];
} {
  const problems: FieldProblem[] = [];
  const job = r.job;
  if (!job?.source)
    return {
      body: {},
      problems: [
        { field: 'job', problem: 'is required', accepted: 'a job with a spec or a template' },
      ],
    };
  const spec = job.source.$case === 'spec' ? job.source.value : undefined;
  const body: Record<string, unknown> = { ...choicesBody(job, spec) };
  if (job.source.$case === 'spec') body.spec = specBody(job.source.value);
  else body.template = templateBody(job.source.value, problems);
  return { body, problems };
}

/** A public state name (e.g. "RUNNING") as the common.v1 enum. */
export const jobStateEnum = (name: string): commonV1.JobState =>
  commonV1.jobStateFromJSON(`JOB_STATE_${name}`);

/** A template job class (e.g. "training") as the common.v1 enum. */
export const jobClassEnum = (name: string): commonV1.JobClass =>
  commonV1.jobClassFromJSON(`JOB_CLASS_${name.toUpperCase()}`);
