import { type LoggerService } from '@nestjs/common';
import { type LogLevel } from '../config/service-config';

export type LogFields = Record<string, unknown>;

const rank: Record<LogLevel, number> = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };

/** An error as a log field: its code (when it has one), message, and stack for diagnosis. */
export function serializeError(err: unknown): LogFields {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      ...(code !== undefined ? { code } : {}),
      name: err.name,
      message: err.message,
      stack: err.stack,
    };
  }
  return { message: String(err) };
}

export interface JsonLoggerOptions {
  service: string;
  level?: LogLevel;
  /** Where a finished line goes; stdout by default. */
  write?: (line: string) => void;
  /** Fields added to every line (a child logger's bound context). */
  fields?: LogFields;
  now?: () => Date;
}

/**
 * One JSON object per line: {time, level, service, msg, ...context}. Serves both the services'
 * own logging (`info(msg, {jobId})`) and Nest's LoggerService calls (`log(msg, context)`,
 * `error(msg, stack, context)`), so every line the process writes has the same shape.
 */
export class JsonLogger implements LoggerService {
  private readonly level: LogLevel;
  private readonly write: (line: string) => void;
  private readonly fields: LogFields;
  private readonly now: () => Date;

  constructor(private readonly opts: JsonLoggerOptions) {
    this.level = opts.level ?? 'info';
    this.write = opts.write ?? ((line) => process.stdout.write(line));
    this.fields = opts.fields ?? {};
    this.now = opts.now ?? (() => new Date());
  }

  /** A logger that adds `fields` to every line (e.g. {jobId} for one job's lifecycle). */
  child(fields: LogFields): JsonLogger {
    return new JsonLogger({ ...this.opts, fields: { ...this.fields, ...fields } });
  }

  isEnabled(level: LogLevel): boolean {
    return rank[level] <= rank[this.level];
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.emit('fatal', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.emit('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.emit('warn', message, params);
  }
  info(message: unknown, ...params: unknown[]): void {
    this.emit('info', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.emit('debug', message, params);
  }
  trace(message: unknown, ...params: unknown[]): void {
    this.emit('trace', message, params);
  }
  /** Nest's name for info. */
  log(message: unknown, ...params: unknown[]): void {
    this.emit('info', message, params);
  }
  /** Nest's name for trace. */
  verbose(message: unknown, ...params: unknown[]): void {
    this.emit('trace', message, params);
  }

  private emit(level: LogLevel, message: unknown, params: unknown[]): void {
    if (!this.isEnabled(level)) return;
    const extra: LogFields = {};
    // Nest appends its context (a class name) as the last string; for error() a string
    // before it is the stack. Objects are structured fields.
    const strings = params.filter((p): p is string => typeof p === 'string');
    for (const p of params) {
      if (p instanceof Error) extra.err = serializeError(p);
      else if (p && typeof p === 'object') Object.assign(extra, p);
    }
    if (strings.length > 0) extra.context = strings[strings.length - 1];
    if (strings.length > 1) extra.stack = strings.slice(0, -1).join('\n');
    if (extra.err instanceof Error) extra.err = serializeError(extra.err);

    let msg: string;
    if (message instanceof Error) {
      msg = message.message;
      extra.err ??= serializeError(message);
    } else if (typeof message === 'string') {
      msg = message;
    } else {
      msg = '';
      if (message && typeof message === 'object') Object.assign(extra, message);
      else msg = String(message);
    }

    const line = {
      time: this.now().toISOString(),
      level,
      service: this.opts.service,
      msg,
      ...this.fields,
      ...extra,
    };
    this.write(safeStringify(line) + '\n');
  }
}

/** JSON.stringify that survives bigints and cycles: a log call must never throw. */
function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}
