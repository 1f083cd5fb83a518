import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type JobRequest, URGENCIES, type Urgency } from '@starminer/sdk';
import { CliError, ExitCode } from './errors';

/** `--param name=value`: numbers and true/false become JSON values, anything else a string. */
export function parseParams(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0)
      throw new CliError(`--param ${JSON.stringify(p)} is not name=value`, ExitCode.usage, [
        'e.g. --param prompt="a red fox" --param steps=30',
      ]);
    const name = p.slice(0, eq);
    const raw = p.slice(eq + 1);
    out[name] = /^-?\d+(\.\d+)?$/.test(raw)
      ? Number(raw)
      : raw === 'true' || raw === 'false'
        ? raw === 'true'
        : raw;
  }
  return out;
}

/** A job file (YAML or JSON): the same fields as the gateway's POST /v1/jobs body. */
export function readJobFile(file: string): JobRequest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read job file ${file}: ${(err as Error).message}`, ExitCode.usage);
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CliError(
      `job file ${file} is not valid YAML/JSON: ${(err as Error).message}`,
      ExitCode.usage,
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new CliError(`job file ${file} must hold an object`, ExitCode.usage, [
      'accepted: {template: {name, version?, parameters}} or {spec: {...}}, with urgency, regionPreference, ...',
    ]);
  const r = doc as JobRequest;
  if (!r.template && !r.spec)
    throw new CliError(`job file ${file} names neither a template nor a spec`, ExitCode.usage);
  return r;
}

export interface RequestFlags {
  template?: string;
  templateVersion?: string;
  param?: string[];
  file?: string;
  urgency?: string;
  region?: string;
  maxPrice?: string;
}

/** The job request from a template and parameters, or a job file; flags override the file's choices. */
export function requestFromFlags(f: RequestFlags): JobRequest {
  if (!f.template === !f.file)
    throw new CliError('give either --template <name> or --file <job.yaml>', ExitCode.usage);
  const base: JobRequest = f.file
    ? readJobFile(f.file)
    : {
        template: {
          name: f.template!,
          ...(f.templateVersion ? { version: f.templateVersion } : {}),
          parameters: parseParams(f.param ?? []),
        },
      };
  if (f.urgency !== undefined && !URGENCIES.includes(f.urgency as Urgency))
    throw new CliError(`--urgency ${f.urgency} is not valid`, ExitCode.usage, [
      `accepted: ${URGENCIES.join(', ')}`,
    ]);
  return {
    ...base,
    ...(f.urgency ? { urgency: f.urgency as Urgency } : {}),
    ...(f.region
      ? {
          regionPreference: f.region
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean),
        }
      : {}),
    ...(f.maxPrice ? { maxPrice: f.maxPrice } : {}),
  };
}
