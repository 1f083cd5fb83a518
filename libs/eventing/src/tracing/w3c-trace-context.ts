/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) formatting and parsing, pure.
 * Done by hand rather than through the global propagator so envelopes carry the trace even in a
 * process that has not registered an OpenTelemetry SDK.
 */
export interface SpanRef {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const INVALID_TRACE = '0'.repeat(32);
const INVALID_SPAN = '0'.repeat(16);

export function formatTraceparent(span: SpanRef): string {
  return `00-${span.traceId}-${span.spanId}-${span.traceFlags.toString(16).padStart(2, '0')}`;
}

/** Undefined for a missing or invalid header (the spec says: then start a new trace). */
export function parseTraceparent(header: string | undefined): SpanRef | undefined {
  if (!header) return undefined;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  // Version ff is forbidden; version 00 must have exactly four fields.
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined;
  if (traceId === INVALID_TRACE || spanId === INVALID_SPAN) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}
