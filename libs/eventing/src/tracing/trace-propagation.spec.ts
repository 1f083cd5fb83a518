import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  contextFromTraceHeaders,
  currentTraceHeaders,
  extractTraceFromGrpcMetadata,
  injectTraceIntoGrpcMetadata,
  type GrpcMetadataLike,
} from './trace-propagation';

class FakeMetadata implements GrpcMetadataLike {
  readonly values = new Map<string, string>();
  set(key: string, value: string): void {
    this.values.set(key, value);
  }
  get(key: string): string[] {
    const v = this.values.get(key);
    return v === undefined ? [] : [v];
  }
}

describe('trace propagation', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('given a received traceparent, makes it the remote parent and emits it again', () => {
    const ctx = contextFromTraceHeaders({ traceparent, tracestate: 'vendor=a' });
    expect(trace.getSpanContext(ctx)).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      isRemote: true,
    });
    expect(currentTraceHeaders(ctx)).toEqual({ traceparent, tracestate: 'vendor=a' });
  });

  it('given no trace, emits empty headers and injects nothing', () => {
    expect(currentTraceHeaders(ROOT_CONTEXT)).toEqual({ traceparent: '', tracestate: '' });
    const md = new FakeMetadata();
    injectTraceIntoGrpcMetadata(md, ROOT_CONTEXT);
    expect(md.values.size).toBe(0);
  });

  it('carries the trace through gRPC metadata', () => {
    const md = new FakeMetadata();
    injectTraceIntoGrpcMetadata(md, contextFromTraceHeaders({ traceparent }));
    expect(md.values.get('traceparent')).toBe(traceparent);
    expect(currentTraceHeaders(extractTraceFromGrpcMetadata(md)).traceparent).toBe(traceparent);
  });
});
