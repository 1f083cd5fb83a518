/**
 * Kinds of environment variable a service can declare. Each kind parses one raw string
 * (undefined when the variable is unset) and, when it cannot, says what was wrong; `accepted`
 * tells the operator what would have been right. Defaults are applied here, so a config object
 * never holds undefined for a variable that has one.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface EnvVar<T> {
  /** What values are accepted, in words, for error messages. */
  readonly accepted: string;
  /** Value shown in errors with credentials removed (passwords in URLs). */
  readonly redact?: (raw: string) => string;
  parse(raw: string | undefined): ParseResult<T>;
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const bad = <T>(problem: string): ParseResult<T> => ({ ok: false, problem });

function withDefault<T>(
  raw: string | undefined,
  fallback: T | undefined,
  parse: (s: string) => ParseResult<T>,
): ParseResult<T> {
  if (raw === undefined || raw === '') {
    return fallback === undefined ? bad('is required but not set') : ok(fallback);
  }
  return parse(raw.trim());
}

const defaultNote = (d: unknown) => (d === undefined ? '' : ` (default ${String(d)})`);

/** An integer within [min, max]. */
export function int(opts: { default?: number; min?: number; max?: number } = {}): EnvVar<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return {
    accepted: `an integer from ${min} to ${max}${defaultNote(opts.default)}`,
    parse: (raw) =>
      withDefault(raw, opts.default, (s) => {
        if (!/^-?\d+$/.test(s)) return bad('is not an integer');
        const n = Number(s);
        if (n < min || n > max) return bad(`is out of range`);
        return ok(n);
      }),
  };
}

/** A TCP port; 0 asks the OS for a free one (tests use it). */
export function port(opts: { default?: number } = {}): EnvVar<number> {
  const inner = int({ ...opts, min: 0, max: 65535 });
  return {
    accepted: `a TCP port, an integer from 0 to 65535 (0 picks a free port)${defaultNote(opts.default)}`,
    parse: inner.parse,
  };
}

/** A non-empty string, optionally matching a pattern. */
export function str(
  opts: { default?: string; pattern?: RegExp; describe?: string } = {},
): EnvVar<string> {
  return {
    accepted: `${opts.describe ?? 'a non-empty string'}${defaultNote(opts.default)}`,
    parse: (raw) =>
      withDefault(raw, opts.default, (s) =>
        opts.pattern && !opts.pattern.test(s) ? bad('has the wrong form') : ok(s),
      ),
  };
}

/** One of a fixed set of words. */
export function oneOf<const V extends string>(values: readonly V[], fallback?: V): EnvVar<V> {
  return {
    accepted: `one of ${values.join(', ')}${defaultNote(fallback)}`,
    parse: (raw) =>
      withDefault<V>(raw, fallback, (s) =>
        (values as readonly string[]).includes(s) ? ok(s as V) : bad('is not an accepted value'),
      ),
  };
}

/** Removes the password of a URL, so a bad DATABASE_URL can be shown in logs. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/** An absolute URL whose scheme is one of `protocols` (without the colon). */
export function url(opts: { protocols: readonly string[]; default?: string }): EnvVar<string> {
  const schemes = opts.protocols.map((p) => `${p}://`).join(' or ');
  return {
    accepted: `a ${schemes} URL${defaultNote(opts.default)}`,
    redact: redactUrl,
    parse: (raw) =>
      withDefault(raw, opts.default, (s) => {
        let u: URL;
        try {
          u = new URL(s);
        } catch {
          return bad('is not a URL');
        }
        const scheme = u.protocol.replace(/:$/, '');
        if (!opts.protocols.includes(scheme)) return bad(`has the scheme '${scheme}'`);
        if (!u.hostname) return bad('has no host');
        return ok(s);
      }),
  };
}

/** A lower-case SQL identifier (Postgres schema or table name) that needs no quoting. */
export function sqlIdentifier(opts: { default?: string } = {}): EnvVar<string> {
  return str({
    ...opts,
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
    describe:
      'a lower-case SQL identifier: a-z, 0-9 and _, not starting with a digit, at most 63 characters',
  });
}
