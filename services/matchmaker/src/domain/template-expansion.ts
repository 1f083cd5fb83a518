import { commonV1 } from '@starminer/proto';
import { expandTemplate, type FieldError, type TemplateJobClass } from '@starminer/templates';
import { type FieldViolation } from './job-spec';

const TEMPLATE_CLASS: Record<TemplateJobClass, commonV1.JobClass> = {
  training: commonV1.JobClass.JOB_CLASS_TRAINING,
  inference: commonV1.JobClass.JOB_CLASS_INFERENCE,
  rendering: commonV1.JobClass.JOB_CLASS_RENDERING,
  other: commonV1.JobClass.JOB_CLASS_OTHER,
};

export type TemplateOutcome =
  { ok: true; spec: commonV1.JobSpec | undefined } | { ok: false; violations: FieldViolation[] };

/** Template errors name the API field: `parameters.steps` -> `spec.workload.template.parameters_json.steps`. */
function violationOf(e: FieldError): FieldViolation {
  const field = e.field.startsWith('parameters')
    ? `spec.workload.template.parameters_json${e.field.slice('parameters'.length)}`
    : `spec.workload.${e.field}`;
  return { field, reason: `${e.problem}; accepted: ${e.accepted}` };
}

/**
 * Expands a workload template reference into the image, command, args and env it stands for
 * (libs/templates, the same expansion the gateway uses). What the client set explicitly wins:
 * a GPU requirement with a count, a job class, a max duration; the template fills the rest (its
 * GPU requirement, its class, its suggested max duration). A spec without a template is returned
 * as it is. The reference stays on the workload, so the job records what it was made from.
 */
export function expandWorkloadTemplate(spec: commonV1.JobSpec | undefined): TemplateOutcome {
  const ref = spec?.workload?.template;
  if (!spec || !ref || (!ref.name && !ref.version && !ref.parametersJson))
    return { ok: true, spec };
  const w = spec.workload!;
  const v: FieldViolation[] = [];
  if (w.image || w.command.length || w.args.length || Object.keys(w.env).length)
    v.push({
      field: 'spec.workload',
      reason: 'give either a template reference or an image with command, args and env, not both',
    });
  if (!ref.name)
    v.push({
      field: 'spec.workload.template.name',
      reason: 'is required with a template reference',
    });
  let params: unknown = {};
  if (ref.parametersJson.trim()) {
    try {
      params = JSON.parse(ref.parametersJson);
    } catch (err) {
      v.push({
        field: 'spec.workload.template.parameters_json',
        reason: `is not JSON (${(err as Error).message}); accepted: a JSON object of the template's parameters`,
      });
    }
  }
  if (v.length) return { ok: false, violations: v };
  const x = expandTemplate(ref.name, ref.version || undefined, params);
  if (!x.ok) return { ok: false, violations: x.errors.map(violationOf) };
  if (x.specs.length !== 1)
    return {
      ok: false,
      violations: [
        {
          field: 'spec.workload.template',
          reason: `${ref.name} expands into ${x.specs.length} jobs with these parameters; the matchmaker takes one job per submission (submit each part, or use the gateway, which splits them)`,
        },
      ],
    };
  const t = x.specs[0]!;
  return {
    ok: true,
    spec: {
      ...spec,
      workload: {
        image: t.workload.image,
        command: [...t.workload.command],
        args: [...t.workload.args],
        env: { ...t.workload.env },
        template: {
          name: x.template.name,
          version: x.template.version,
          parametersJson: ref.parametersJson,
        },
      },
      gpu: spec.gpu && spec.gpu.count > 0 ? spec.gpu : { ...t.gpu },
      jobClass:
        spec.jobClass !== commonV1.JobClass.JOB_CLASS_UNSPECIFIED
          ? spec.jobClass
          : TEMPLATE_CLASS[t.jobClass],
      maxDurationSeconds:
        spec.maxDurationSeconds > 0 ? spec.maxDurationSeconds : t.maxDurationSeconds,
    },
  };
}
