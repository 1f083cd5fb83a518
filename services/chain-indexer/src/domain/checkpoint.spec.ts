import {
  blockCeiling,
  compareCheckpoints,
  decodeCheckpoint,
  encodeCheckpoint,
  flowCursor,
  type Checkpoint,
} from './checkpoint';

describe('checkpoints', () => {
  const cp = (
    blockNumber: number,
    transactionIndex: number,
    logIndex: number,
    chainId = 31337,
  ): Checkpoint => ({
    chainId,
    blockNumber,
    transactionIndex,
    logIndex,
  });

  it('round-trips through the string form', () => {
    const c = cp(123_456_789, 42, 7);
    expect(decodeCheckpoint(encodeCheckpoint(c))).toEqual(c);
  });

  it('sorts as strings exactly as the tuples sort', () => {
    const all = [
      cp(10, 0, 0),
      cp(9, 99, 99),
      cp(10, 0, 1),
      cp(10, 1, 0),
      cp(2, 5, 5),
      cp(1, 0, 0, 1),
    ];
    const byString = [...all].sort((a, b) => (encodeCheckpoint(a) < encodeCheckpoint(b) ? -1 : 1));
    expect(byString).toEqual([...all].sort(compareCheckpoints));
  });

  it('puts every log of a block at or below its ceiling, and the next block above it', () => {
    const ceiling = blockCeiling(31337, 10);
    expect(encodeCheckpoint(cp(10, 5_000, 9_000)) <= ceiling).toBe(true);
    expect(encodeCheckpoint(cp(11, 0, 0)) > ceiling).toBe(true);
  });

  it('orders flows inside a log after the log and before the next log', () => {
    const a = encodeCheckpoint(cp(10, 0, 3));
    const b = encodeCheckpoint(cp(10, 0, 4));
    expect(flowCursor(a, 0) < flowCursor(a, 2)).toBe(true);
    expect(flowCursor(a, 2) < flowCursor(b, 0)).toBe(true);
  });

  it('refuses values that do not fit or are not whole numbers', () => {
    expect(() => encodeCheckpoint(cp(-1, 0, 0))).toThrow(RangeError);
    expect(() => encodeCheckpoint(cp(1.5, 0, 0))).toThrow(RangeError);
    expect(() => encodeCheckpoint(cp(1, 10 ** 8, 0))).toThrow(RangeError);
    expect(() => decodeCheckpoint('123')).toThrow(RangeError);
  });
});
