/** A field of a request that was wrong: what was wrong and what is accepted. */
export interface FieldProblem {
  field: string;
  problem: string;
  accepted: string;
}

/**
 * Codes an SdkError carries. The first ten are the gateway's stable API codes (docs/gateway.md);
 * the rest arise in the SDK itself: the gateway could not be reached, a quote did not verify
 * against its signer, a chain transaction failed, or a wait ran out of time.
 */
export const SDK_ERROR_CODES = [
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'DOWNSTREAM_UNAVAILABLE',
  'INTERNAL',
  'UNREACHABLE',
  'QUOTE_UNVERIFIABLE',
  'CHAIN',
  'TIMEOUT',
] as const;
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

const isCode = (c: unknown): c is SdkErrorCode =>
  typeof c === 'string' && (SDK_ERROR_CODES as readonly string[]).includes(c);

/** Every failure the SDK reports. Branch on `code`; `fields` names bad request fields. */
export class SdkError extends Error {
  override readonly name = 'SdkError';
  constructor(
    readonly code: SdkErrorCode,
    message: string,
    readonly fields: FieldProblem[] = [],
    readonly details: { httpStatus?: number; grpcStatus?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }

  /** Worth retrying later as it is: rate limits and unavailable services or networks. */
  get retryable(): boolean {
    return (
      this.code === 'RATE_LIMITED' ||
      this.code === 'DOWNSTREAM_UNAVAILABLE' ||
      this.code === 'UNREACHABLE'
    );
  }
}

const HTTP_FALLBACK: Record<number, SdkErrorCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  502: 'DOWNSTREAM_UNAVAILABLE',
  503: 'DOWNSTREAM_UNAVAILABLE',
  504: 'DOWNSTREAM_UNAVAILABLE',
};

/** The gateway's error body `{error: {code, message, fields}}` (or anything else) as an SdkError. */
export function errorFromBody(
  httpStatus: number,
  body: unknown,
  retryAfter?: string | null,
): SdkError {
  const e = (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } } | null)
    ?.error;
  const code = isCode(e?.code) ? e.code : (HTTP_FALLBACK[httpStatus] ?? 'INTERNAL');
  const message =
    typeof e?.message === 'string' ? e.message : `gateway answered HTTP ${httpStatus}`;
  const fields = Array.isArray(e?.fields) ? (e.fields as FieldProblem[]) : [];
  const seconds = retryAfter ? Number(retryAfter) : NaN;
  return new SdkError(code, message, fields, {
    httpStatus,
    ...(Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : {}),
  });
}

const GRPC_FALLBACK: Record<number, SdkErrorCode> = {
  3: 'INVALID_REQUEST',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  8: 'RATE_LIMITED',
  9: 'CONFLICT',
  14: 'UNREACHABLE',
  16: 'UNAUTHENTICATED',
};

/**
 * A gRPC failure as an SdkError: the gateway puts its JSON error in the `x-error-json` trailer;
 * without it the status code decides.
 */
export function errorFromGrpc(err: {
  code?: number;
  details?: string;
  message?: string;
  metadata?: { get(key: string): unknown[] };
}): SdkError {
  const raw = err.metadata?.get('x-error-json')?.[0];
  const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
  if (text) {
    try {
      const parsed = errorFromBody(0, JSON.parse(text));
      return new SdkError(parsed.code, parsed.message, parsed.fields, { grpcStatus: err.code });
    } catch {
      // Not JSON: fall through to the status code.
    }
  }
  const code = GRPC_FALLBACK[err.code ?? -1] ?? 'INTERNAL';
  return new SdkError(code, err.details || err.message || 'gRPC call failed', [], {
    grpcStatus: err.code,
  });
}
