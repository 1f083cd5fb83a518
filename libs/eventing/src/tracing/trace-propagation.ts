import {
  context,
  createTraceState,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
} from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent } from './w3c-trace-context';

export interface TraceHeaders {
  traceparent: string;
  tracestate: string;
}

/** Trace context of the active span (or of `ctx`); empty strings when there is none. */
export function currentTraceHeaders(ctx: Context = context.active()): TraceHeaders {
  const span = trace.getSpanContext(ctx);
  if (!span || !trace.isSpanContextValid(span)) return { traceparent: '', tracestate: '' };
  return {
    traceparent: formatTraceparent({
      traceId: span.traceId,
      spanId: span.spanId,
      traceFlags: span.traceFlags,
    }),
    tracestate: span.traceState?.serialize() ?? '',
  };
}

/** A context whose remote parent is the given traceparent; `base` unchanged if it is invalid. */
export function contextFromTraceHeaders(
  headers: { traceparent?: string; tracestate?: string },
  base: Context = ROOT_CONTEXT,
): Context {
  const parent = parseTraceparent(headers.traceparent);
  if (!parent) return base;
  return trace.setSpanContext(base, {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.traceFlags & TraceFlags.SAMPLED,
    isRemote: true,
    ...(headers.tracestate ? { traceState: createTraceState(headers.tracestate) } : {}),
  });
}

/** Runs `fn` with the trace of a received message as the active context. */
export function withTraceHeaders<T>(
  headers: { traceparent?: string; tracestate?: string },
  fn: () => T,
): T {
  return context.with(contextFromTraceHeaders(headers, context.active()), fn);
}

/** The part of grpc-js `Metadata` used here, so this library needs no gRPC dependency. */
export interface GrpcMetadataLike {
  set(key: string, value: string): void;
  get(key: string): Array<string | Buffer>;
}

/** Adds the active trace context to outgoing gRPC metadata. */
export function injectTraceIntoGrpcMetadata(
  metadata: GrpcMetadataLike,
  ctx: Context = context.active(),
): void {
  const { traceparent, tracestate } = currentTraceHeaders(ctx);
  if (!traceparent) return;
  metadata.set('traceparent', traceparent);
  if (tracestate) metadata.set('tracestate', tracestate);
}

/** Context of an incoming gRPC call's trace (ROOT_CONTEXT-based if none). */
export function extractTraceFromGrpcMetadata(
  metadata: GrpcMetadataLike,
  base: Context = ROOT_CONTEXT,
): Context {
  const first = (key: string) => {
    const v = metadata.get(key)[0];
    return v === undefined ? undefined : v.toString();
  };
  return contextFromTraceHeaders(
    { traceparent: first('traceparent'), tracestate: first('tracestate') },
    base,
  );
}
