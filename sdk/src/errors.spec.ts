import { errorFromBody, errorFromGrpc } from './errors';

describe('SdkError mapping', () => {
  it('keeps the gateway code, fields and Retry-After', () => {
    const e = errorFromBody(
      429,
      { error: { code: 'RATE_LIMITED', message: 'slow down', fields: [] } },
      '7',
    );
    expect(e.code).toBe('RATE_LIMITED');
    expect(e.details.retryAfterSeconds).toBe(7);
    expect(e.retryable).toBe(true);
    const v = errorFromBody(400, {
      error: {
        code: 'INVALID_REQUEST',
        message: 'bad',
        fields: [{ field: 'urgency', problem: 'is not valid', accepted: 'low' }],
      },
    });
    expect(v.fields[0]!.field).toBe('urgency');
    expect(v.retryable).toBe(false);
  });

  it('falls back on the HTTP status for a body that is not the gateway error', () => {
    expect(errorFromBody(404, '<html>').code).toBe('NOT_FOUND');
    expect(errorFromBody(502, undefined).code).toBe('DOWNSTREAM_UNAVAILABLE');
    expect(errorFromBody(418, undefined).code).toBe('INTERNAL');
  });

  it('reads the x-error-json trailer of a gRPC error, else its status', () => {
    const md = (v?: string) => ({ get: (k: string) => (k === 'x-error-json' && v ? [v] : []) });
    const e = errorFromGrpc({
      code: 5,
      details: 'x',
      metadata: md(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'job j not found' } })),
    });
    expect([e.code, e.message, e.details.grpcStatus]).toEqual(['NOT_FOUND', 'job j not found', 5]);
    expect(errorFromGrpc({ code: 14, details: 'connect refused', metadata: md() }).code).toBe(
      'UNREACHABLE',
    );
    expect(errorFromGrpc({ code: 16, metadata: md() }).code).toBe('UNAUTHENTICATED');
  });
});
