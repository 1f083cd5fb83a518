import { ManualClock } from '@starminer/service-kit';
import { DEFAULT_POLICY, neutralPrice } from '../../domain/policy';
import { type QuoteSpec } from '../../domain/quote-plan';
import { flatStrategy } from '../../domain/strategy';
import {
  FakeEscrowEncoding,
  FakeQuoteSigner,
  h100Node,
  InMemoryIssuedQuotes,
  InMemorySignalLog,
} from '../market.fixtures';
import { QuoteInputError, type QuoteCommand } from './quote.command';
import { QuoteHandler } from './quote.handler';

const JOB = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const CLIENT = '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01';

const spec = (overrides: Partial<QuoteSpec> = {}): QuoteSpec => ({
  gpuProduct: 'H100-80GB',
  minVramMiB: 0,
  gpuCount: 4,
  urgency: 'normal',
  regionPreference: ['eu-west'],
  maxDurationSeconds: 3_600,
  ...overrides,
});

describe('QuoteHandler', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0, 500));
  let log: InMemorySignalLog;
  let signer: FakeQuoteSigner;
  let issued: InMemoryIssuedQuotes;
  let handler: QuoteHandler;

  const quote = (cmd: Partial<QuoteCommand> = {}) =>
    handler.quote({ jobId: JOB, client: CLIENT, spec: spec(), ...cmd });

  beforeEach(async () => {
    log = new InMemorySignalLog(flatStrategy(DEFAULT_POLICY));
    await log.append(h100Node('us-east', 'n1'));
    await log.append(h100Node('eu-west', 'n2'));
    signer = new FakeQuoteSigner();
    issued = new InMemoryIssuedQuotes();
    handler = new QuoteHandler(
      log,
      DEFAULT_POLICY,
      signer,
      new FakeEscrowEncoding(),
      issued,
      clock,
      new Set(['us-east', 'eu-west']),
    );
  });

  it('signs one quote per feasible tier, preferred region first, each with its own nonce, and records them', async () => {
    const result = await quote();

    if (!result.feasible) throw new Error(`infeasible: ${result.message}`);
    const price = neutralPrice(DEFAULT_POLICY, 'H100-80GB', 'normal');
    const expiry = BigInt(Math.floor(clock.nowMs() / 1000) + DEFAULT_POLICY.quoteValiditySeconds);
    expect(result.offers.map((o) => [o.region, o.estimatedStart, o.signature])).toEqual([
      ['eu-west', clock.now(), 'sig(1)'],
      ['us-east', clock.now(), 'sig(2)'],
    ]);
    expect(result.offers[0]!.quote).toEqual({
      jobId: `job:${JOB}`,
      client: CLIENT.toLowerCase(),
      pricePerGpuSecond: price,
      maxGpuSeconds: 4n * 3_600n,
      tier: 'tier:H100-80GB/eu-west/normal',
      maxDuration: 3_600n,
      expiry,
      nonce: 1n,
    });
    expect(result.offers[0]!.maxTotal).toBe(price * 4n * 3_600n);
    expect(issued.quotes).toEqual(result.offers.map((o) => ({ quote: o.quote, tier: o.tier })));
    expect(signer.signed).toEqual(result.offers.map((o) => o.quote));
    expect(result).toMatchObject({
      signer: signer.address,
      chainId: signer.chainId,
      escrow: signer.escrow,
    });
  });

  it('estimates a later start when the pool is busy', async () => {
    await log.append({
      kind: 'job-queued',
      at: 0,
      jobId: 'ahead',
      region: 'eu-west',
      gpuClass: 'H100-80GB',
      urgency: 'high',
      gpus: 8,
    });

    const result = await quote();

    if (!result.feasible) throw new Error(`infeasible: ${result.message}`);
    const euWest = result.offers.find((o) => o.region === 'eu-west')!;
    expect(euWest.estimatedWaitSeconds).toBeGreaterThan(0);
    expect(euWest.estimatedStart).toEqual(
      new Date(clock.nowMs() + euWest.estimatedWaitSeconds * 1000),
    );
  });

  it('refuses a request listing everything wrong with it, and signs and records nothing', async () => {
    const attempt = quote({
      jobId: 'not-a-uuid',
      client: '0x1234',
      spec: spec({ gpuCount: 0, maxDurationSeconds: 0, regionPreference: ['mars-1'] }),
    });

    await expect(attempt).rejects.toBeInstanceOf(QuoteInputError);
    await expect(attempt).rejects.toMatchObject({
      issues: [
        'job_id: expected a UUID, got "not-a-uuid"',
        'client: expected a 0x-prefixed 20-byte address, got "0x1234"',
        'gpu.count: expected 1 to 1024, got 0',
        'max_duration_seconds: expected 1 to 2592000, got 0',
        'region_preference: "mars-1" is not a region this deployment serves (served: us-east, eu-west)',
      ],
    });
    expect(signer.signed).toEqual([]);
    expect(issued.quotes).toEqual([]);
  });

  it('answers why no tier can run the job, and signs nothing', async () => {
    const result = await quote({ spec: spec({ gpuCount: 16 }) });

    expect(result).toMatchObject({ feasible: false, reason: 'too-many-gpus' });
    expect(signer.signed).toEqual([]);
    expect(issued.quotes).toEqual([]);
  });

  it('fails without a quote when recording the issued quotes fails', async () => {
    issued.quotes.push({ quote: { nonce: 2n } as never, tier: 'taken' });

    await expect(quote()).rejects.toThrow('duplicate nonce 2');
    expect(issued.quotes).toHaveLength(1);
  });
});
