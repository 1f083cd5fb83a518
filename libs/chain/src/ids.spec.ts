import { fromBytes32, jobIdFromUuid, toBytes32, uuidFromJobId } from './ids';

describe('job ids and bytes32 names', () => {
  it('maps a UUID to a bytes32 job id and back', () => {
    const uuid = '0190f3a2-7c1e-7cc0-8f1a-3b5d2e9a4c11';
    const jobId = jobIdFromUuid(uuid);
    expect(jobId).toBe(`0x${'0'.repeat(32)}0190f3a27c1e7cc08f1a3b5d2e9a4c11`);
    expect(uuidFromJobId(jobId)).toBe(uuid);
  });

  it('rejects what is not a UUID', () => {
    expect(() => jobIdFromUuid('job-1')).toThrow('not a UUID');
    expect(() => uuidFromJobId(`0x${'1'.repeat(64)}`)).toThrow('not a UUID job id');
  });

  it('keeps short names readable and hashes long ones', () => {
    expect(fromBytes32(toBytes32('eu-west'))).toBe('eu-west');
    const long = toBytes32('x'.repeat(40));
    expect(long).toMatch(/^0x[0-9a-f]{64}$/);
    expect(fromBytes32(long)).toBeUndefined();
    expect(() => toBytes32('')).toThrow('empty');
  });
});
