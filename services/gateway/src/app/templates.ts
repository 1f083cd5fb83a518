import {
  type TemplateDefinition as Template,
  findTemplate,
  listTemplates,
  TEMPLATES,
} from '@starminer/templates';
import { ApiError } from '../domain/errors';

export interface TemplateSummaryView {
  name: string;
  version: string;
  title: string;
  description: string;
  jobClass: Template['jobClass'];
}

const summary = (t: Template): TemplateSummaryView => ({
  name: t.name,
  version: t.version,
  title: t.title,
  description: t.description,
  jobClass: t.jobClass,
});

/** Workload templates as both APIs show them: the latest of each, or one with its schema. */
export const templateSummaries = (): TemplateSummaryView[] => listTemplates().map(summary);

export function describeTemplate(
  name: string,
  version: string | undefined,
): TemplateSummaryView & { parameters: Template['parameters']; versions: string[] } {
  const t = findTemplate(name, version || undefined);
  if (!t)
    throw new ApiError('NOT_FOUND', `template ${name}${version ? `@${version}` : ''} not found`, [
      { field: 'name', problem: `no template ${name}`, accepted: 'a name from the template list' },
    ]);
  return {
    ...summary(t),
    parameters: t.parameters,
    versions: TEMPLATES.filter((x) => x.name === t.name).map((x) => x.version),
  };
}
