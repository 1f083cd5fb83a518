import { resolveGpuClass, type GpuClass } from '@starminer/gpu-catalogue';
import { type JobOutcome, type SignalEvent } from './signal-events';
import { isUrgency, type Urgency } from './tier';

/**
 * JSON form of a log entry: one object per line of a .jsonl file (the compare command's input,
 * the simulate command's output, the service's export). Prices are decimal strings.
 */
export function encodeSignal(e: SignalEvent): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export class SignalLogError extends Error {
  override readonly name = 'SignalLogError';
}

type Obj = Record<string, unknown>;

function str(o: Obj, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0)
    throw new SignalLogError(`${where}: "${k}" must be a non-empty string`);
  return v;
}

function count(o: Obj, k: string, where: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new SignalLogError(
      `${where}: "${k}" must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  return v;
}

function gpuClass(o: Obj, where: string): GpuClass {
  return resolveGpuClass(str(o, 'gpuClass', where));
}

function urgency(o: Obj, where: string): Urgency {
  const u = str(o, 'urgency', where);
  if (!isUrgency(u))
    throw new SignalLogError(`${where}: urgency "${u}" is not low, normal, high or critical`);
  return u;
}

const OUTCOMES: readonly JobOutcome[] = ['finished', 'unfilled', 'cancelled'];

/** Parses and validates one entry; `where` (e.g. "log.jsonl:12") prefixes every error. */
export function decodeSignal(json: unknown, where = 'entry'): SignalEvent {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new SignalLogError(`${where}: expected a JSON object`);
  const o = json as Obj;
  const at = count(o, 'at', where);
  switch (o.kind) {
    case 'node-up':
      return {
        kind: 'node-up',
        at,
        node: str(o, 'node', where),
        region: str(o, 'region', where),
        gpuClass: gpuClass(o, where),
        gpus: count(o, 'gpus', where),
        vramMiB: count(o, 'vramMiB', where),
      };
    case 'node-down':
    case 'node-restored':
    case 'node-removed':
      return { kind: o.kind, at, node: str(o, 'node', where) };
    case 'job-queued': {
      const max = o.maxPricePerGpuSecond;
      if (max !== undefined && (typeof max !== 'string' || !/^\d+$/.test(max)))
        throw new SignalLogError(`${where}: "maxPricePerGpuSecond" must be a decimal string`);
      return {
        kind: 'job-queued',
        at,
        jobId: str(o, 'jobId', where),
        region: str(o, 'region', where),
        gpuClass: gpuClass(o, where),
        urgency: urgency(o, where),
        gpus: count(o, 'gpus', where),
        ...(max === undefined ? {} : { maxPricePerGpuSecond: BigInt(max) }),
      };
    }
    case 'job-matched':
      return {
        kind: 'job-matched',
        at,
        jobId: str(o, 'jobId', where),
        region: str(o, 'region', where),
        gpuClass: gpuClass(o, where),
        gpus: count(o, 'gpus', where),
        ...(o.node === undefined ? {} : { node: str(o, 'node', where) }),
      };
    case 'job-rerouted':
      return {
        kind: 'job-rerouted',
        at,
        jobId: str(o, 'jobId', where),
        region: str(o, 'region', where),
      };
    case 'job-ended': {
      const outcome = o.outcome as JobOutcome;
      if (!OUTCOMES.includes(outcome))
        throw new SignalLogError(`${where}: outcome must be one of ${OUTCOMES.join(', ')}`);
      return { kind: 'job-ended', at, jobId: str(o, 'jobId', where), outcome };
    }
    case 'tick':
      return { kind: 'tick', at };
    default:
      throw new SignalLogError(
        `${where}: unknown kind ${JSON.stringify(o.kind)} (accepted: node-up, node-down, node-restored, node-removed, job-queued, job-matched, job-rerouted, job-ended, tick)`,
      );
  }
}

/** Parses a whole .jsonl text; blank lines are skipped. */
export function decodeSignalLog(text: string, source = 'log'): SignalEvent[] {
  const out: SignalEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new SignalLogError(`${source}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
    out.push(decodeSignal(json, `${source}:${i + 1}`));
  });
  return out;
}
