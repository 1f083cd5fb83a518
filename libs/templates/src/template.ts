import { type FieldError, type ParameterSchema, type ParameterValue } from './parameters';

export type TemplateJobClass = 'training' | 'inference' | 'rendering' | 'other';

/**
 * A job as a template expands it: what to run and on which GPUs. It carries no urgency, region
 * or price: those are the submitter's choices, added at submission.
 */
export interface TemplateJobSpec {
  /** Human label of this part, e.g. "frames 1-50" for a render chunk. */
  label: string;
  workload: {
    image: string;
    command: string[];
    args: string[];
    env: Record<string, string>;
  };
  gpu: {
    /** GPU feature-discovery product label; empty means any product with minVramMib. */
    product: string;
    count: number;
    minVramMib: number;
  };
  jobClass: TemplateJobClass;
  /** What the template expects the job to take; the basis of the suggested max duration. */
  expectedDurationSeconds: number;
  /** Suggested wall-clock limit: the expectation with headroom. */
  maxDurationSeconds: number;
}

export interface TemplateDefinition {
  name: string;
  /** Semantic version; a change that alters what the same parameters expand to is a new one. */
  version: string;
  title: string;
  description: string;
  jobClass: TemplateJobClass;
  parameters: ParameterSchema;
  /** Expands validated parameters (defaults filled in) into one or more job specs. */
  expand(params: Readonly<Record<string, ParameterValue>>): TemplateJobSpec[] | FieldError[];
}

/** Headroom from the expected duration to the suggested limit: x1.5, at least 10 minutes. */
export function withHeadroom(expectedSeconds: number): number {
  return Math.max(600, Math.ceil(expectedSeconds * 1.5));
}

export const GIB = 1024;
