import {
  bumpedFees,
  clampUsage,
  decideSettlement,
  nextSignerStep,
  type TerminalJob,
} from './settlement';

const job = (over: Partial<TerminalJob>): TerminalJob => ({
  type: 'JobSucceeded',
  chainJobId: '0x01',
  provider: '0xp',
  gpuSeconds: 100n,
  ...over,
});

describe('deciding how a finished job is settled', () => {
  it.each<[string, Partial<TerminalJob>, string]>([
    ['a success pays the provider', {}, 'settle'],
    ['a timeout pays the provider for what ran', { type: 'JobTimedOut' }, 'settle'],
    ['a workload failure pays the provider', { type: 'JobFailed', failure: 'workload' }, 'settle'],
    ['a node fault refunds the client', { type: 'JobFailed', failure: 'node_fault' }, 'refund'],
    ['an unattributed failure refunds', { type: 'JobFailed', failure: 'unspecified' }, 'refund'],
    ['a cancel after start pays for usage', { type: 'JobCancelled' }, 'settle'],
    ['a cancel before start refunds', { type: 'JobCancelled', gpuSeconds: 0n }, 'refund'],
    ['an expiry refunds', { type: 'JobExpired' }, 'refund'],
    ['a success with no provider refunds', { provider: '' }, 'refund'],
  ])('%s', (_, over, kind) => {
    expect(decideSettlement(job(over)).kind).toBe(kind);
  });

  it('never asks for more GPU-seconds than the deposit covers', () => {
    expect(clampUsage({ kind: 'settle', provider: '0xp', gpuSeconds: 5000n }, 3600n)).toEqual({
      kind: 'settle',
      provider: '0xp',
      gpuSeconds: 3600n,
    });
  });
});

describe('the signer step for a recorded intent', () => {
  const step = (
    escrow: Parameters<typeof nextSignerStep>[0]['escrow'],
    sent: Parameters<typeof nextSignerStep>[0]['sent'],
    pendingForMs = 0,
  ) => nextSignerStep({ escrow, sent, pendingForMs, bumpAfterMs: 10_000 }).kind;

  it('never sends for an escrow already closed, whatever it sent before', () => {
    for (const sent of ['none', 'pending', 'mined', 'reverted', 'unknown'] as const) {
      expect(step('settled', sent)).toBe('await-mirror');
      expect(step('reclaimed', sent)).toBe('await-mirror');
    }
  });

  it('sends once, waits while pending, bumps a stale one and rebroadcasts a forgotten one', () => {
    expect(step('funded', 'none')).toBe('send');
    expect(step('funded', 'pending', 1_000)).toBe('wait');
    expect(step('funded', 'pending', 20_000)).toBe('bump');
    expect(step('funded', 'unknown')).toBe('rebroadcast');
    expect(step('funded', 'mined')).toBe('wait');
  });

  it('skips a job with no escrow', () => {
    expect(step('none', 'none')).toBe('skip');
  });

  it('raises both fees by at least 10% and never below the current market', () => {
    const prev = { maxFeePerGas: 100n, maxPriorityFeePerGas: 10n };
    expect(bumpedFees(prev, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, 5)).toEqual({
      maxFeePerGas: 110n,
      maxPriorityFeePerGas: 11n,
    });
    expect(bumpedFees(prev, { maxFeePerGas: 500n, maxPriorityFeePerGas: 50n })).toEqual({
      maxFeePerGas: 500n,
      maxPriorityFeePerGas: 50n,
    });
  });
});
