/**
 * A small, self-describing parameter schema. It is plain data so the gateway can publish it
 * (Templates describe, OpenAPI) and clients can build forms from it; `validateParameters`
 * checks a raw parameter object against it and names every bad field with what is accepted.
 */
export type ParameterSpec =
  | {
      type: 'string';
      description: string;
      required?: boolean;
      default?: string;
      minLength?: number;
      maxLength?: number;
      /** Regular expression source the value must match in full. */
      pattern?: string;
      /** Human wording of the pattern, shown in errors. */
      patternDescription?: string;
    }
  | {
      type: 'integer';
      description: string;
      required?: boolean;
      default?: number;
      minimum: number;
      maximum: number;
    }
  | {
      type: 'enum';
      description: string;
      required?: boolean;
      default?: string;
      values: readonly string[];
    };

export type ParameterSchema = Readonly<Record<string, ParameterSpec>>;

export type ParameterValue = string | number;
export type ParameterValues = Readonly<Record<string, ParameterValue>>;

/** One bad field: which, what was wrong, what is accepted. */
export interface FieldError {
  field: string;
  problem: string;
  accepted: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** What the schema accepts for one parameter, in words. */
export function acceptedOf(spec: ParameterSpec): string {
  switch (spec.type) {
    case 'integer':
      return `an integer from ${spec.minimum} to ${spec.maximum}`;
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'string': {
      const len = `a string of ${spec.minLength ?? 1} to ${spec.maxLength ?? 4096} characters`;
      return spec.patternDescription ? `${len}: ${spec.patternDescription}` : len;
    }
  }
}

function checkOne(
  name: string,
  spec: ParameterSpec,
  raw: unknown,
): { value?: ParameterValue; problem?: string } {
  if (raw === undefined || raw === null || raw === '') {
    if (spec.default !== undefined) return { value: spec.default };
    return spec.required ? { problem: 'is required' } : {};
  }
  switch (spec.type) {
    case 'integer': {
      // Strings of digits are accepted too: query strings and CLI flags carry text.
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n))
        return { problem: `must be an integer, got ${JSON.stringify(raw)}` };
      if (n < spec.minimum || n > spec.maximum) return { problem: `is out of range: ${n}` };
      return { value: n };
    }
    case 'enum':
      if (typeof raw !== 'string' || !spec.values.includes(raw))
        return { problem: `is not a known value: ${JSON.stringify(raw)}` };
      return { value: raw };
    case 'string': {
      if (typeof raw !== 'string') return { problem: `must be a string, got ${typeof raw}` };
      const min = spec.minLength ?? 1;
      const max = spec.maxLength ?? 4096;
      if (raw.length < min || raw.length > max) return { problem: `has ${raw.length} characters` };
      if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`).test(raw))
        return { problem: `has the wrong form: ${JSON.stringify(raw.slice(0, 80))}` };
      return { value: raw };
    }
  }
  return { problem: `has an unsupported type in ${name}` };
}

/**
 * Checks raw parameters (e.g. parsed JSON) against a schema: unknown names, missing required
 * ones, wrong types and out-of-range values are all reported, not just the first. Defaults
 * fill absent optional parameters.
 */
export function validateParameters(
  schema: ParameterSchema,
  raw: unknown,
  prefix = 'parameters',
): Validated<Record<string, ParameterValue>> {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    return {
      ok: false,
      errors: [
        {
          field: prefix,
          problem: 'must be an object',
          accepted: `an object with ${Object.keys(schema).join(', ')}`,
        },
      ],
    };
  const input = raw as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const name of Object.keys(input)) {
    if (!(name in schema))
      errors.push({
        field: `${prefix}.${name}`,
        problem: 'is not a parameter of this template',
        accepted: `parameters ${Object.keys(schema).join(', ')}`,
      });
  }
  const value: Record<string, ParameterValue> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const r = checkOne(name, spec, input[name]);
    if (r.problem)
      errors.push({ field: `${prefix}.${name}`, problem: r.problem, accepted: acceptedOf(spec) });
    else if (r.value !== undefined) value[name] = r.value;
  }
  return errors.length ? { ok: false, errors } : { ok: true, value };
}
