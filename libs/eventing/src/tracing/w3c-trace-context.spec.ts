import { formatTraceparent, parseTraceparent } from './w3c-trace-context';

describe('W3C traceparent', () => {
  const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('round-trips', () => {
    const parsed = parseTraceparent(header);
    expect(parsed).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    expect(formatTraceparent(parsed!)).toBe(header);
  });

  it.each([
    ['empty', ''],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['extra field on version 00', `${header}-x`],
    ['garbage', 'not-a-trace'],
  ])('rejects %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});
