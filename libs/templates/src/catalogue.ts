import { llmFinetuneV1 } from './llm-finetune';
import { type FieldError, validateParameters } from './parameters';
import { stableDiffusionV1 } from './stable-diffusion';
import { type TemplateDefinition, type TemplateJobSpec } from './template';
import { unrealRenderV1 } from './unreal-render';

/** Every template version StarMiner ships. Older versions stay so saved job files keep working. */
export const TEMPLATES: readonly TemplateDefinition[] = [
  stableDiffusionV1,
  llmFinetuneV1,
  unrealRenderV1,
];

const versionKey = (v: string) =>
  v
    .split('.')
    .map((n) => n.padStart(6, '0'))
    .join('.');

/** Latest version of each template, sorted by name. */
export function listTemplates(
  catalogue: readonly TemplateDefinition[] = TEMPLATES,
): TemplateDefinition[] {
  const latest = new Map<string, TemplateDefinition>();
  for (const t of catalogue) {
    const seen = latest.get(t.name);
    if (!seen || versionKey(t.version) > versionKey(seen.version)) latest.set(t.name, t);
  }
  return [...latest.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** One template; without a version, its latest. */
export function findTemplate(
  name: string,
  version?: string,
  catalogue: readonly TemplateDefinition[] = TEMPLATES,
): TemplateDefinition | undefined {
  if (!version) return listTemplates(catalogue).find((t) => t.name === name);
  return catalogue.find((t) => t.name === name && t.version === version);
}

export type Expansion =
  | { ok: true; template: TemplateDefinition; specs: TemplateJobSpec[] }
  | { ok: false; errors: FieldError[] };

/**
 * Validates parameters against the template's schema and expands them into job specs. Every
 * problem comes back as a field error; nothing is expanded from bad parameters.
 */
export function expandTemplate(
  name: string,
  version: string | undefined,
  parameters: unknown,
  catalogue: readonly TemplateDefinition[] = TEMPLATES,
): Expansion {
  const template = findTemplate(name, version, catalogue);
  if (!template) {
    const known = listTemplates(catalogue);
    const byName = catalogue.filter((t) => t.name === name);
    return {
      ok: false,
      errors: [
        byName.length
          ? {
              field: 'template.version',
              problem: `${name} has no version ${JSON.stringify(version)}`,
              accepted: `one of ${byName.map((t) => t.version).join(', ')}, or empty for the latest`,
            }
          : {
              field: 'template.name',
              problem: `is not a known template: ${JSON.stringify(name)}`,
              accepted: `one of ${known.map((t) => t.name).join(', ')}`,
            },
      ],
    };
  }
  const params = validateParameters(template.parameters, parameters);
  if (!params.ok) return params;
  const expanded = template.expand(params.value);
  if (expanded.length > 0 && 'field' in expanded[0]!)
    return { ok: false, errors: expanded as FieldError[] };
  return { ok: true, template, specs: expanded as TemplateJobSpec[] };
}
