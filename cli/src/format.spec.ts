import { SdkError } from '@starminer/sdk';
import { ExitCode, fromSdkError } from './errors';
import { agpu, outcomeOf, perGpuHour, table } from './format';
import { parseParams } from './job-request';
import { ProgressDisplay } from './progress';

describe('cli formatting', () => {
  it('aligns table columns under their headers', () => {
    expect(
      table(
        ['A', 'LONGER'],
        [
          ['xyz', '1'],
          ['q', '22'],
        ],
      ),
    ).toEqual(['A    LONGER', 'xyz  1', 'q    22']);
  });

  it('shows AGPU amounts and prices per GPU-hour', () => {
    expect(agpu('1500000000000000000')).toBe('1.5 AGPU');
    expect(agpu('0')).toBe('0 AGPU');
    expect(perGpuHour('1000000000000000')).toBe('3.6 AGPU/GPU-h');
  });

  it('tells a settled success from a settled failure', () => {
    expect(outcomeOf({ state: 'SETTLED', endReason: '' })).toBe('ok');
    expect(outcomeOf({ state: 'SETTLED', endReason: 'ExitCode' })).toBe('failed');
    expect(outcomeOf({ state: 'SETTLED', endReason: '' }, true)).toBe('failed');
    expect(outcomeOf({ state: 'EXPIRED', endReason: '' })).toBe('failed');
    expect(outcomeOf({ state: 'RUNNING', endReason: '' })).toBe('open');
  });

  it('parses template parameters, numbers and booleans as JSON values', () => {
    expect(parseParams(['steps=30', 'prompt=a red fox', 'hd=true', 'seed=-1.5'])).toEqual({
      steps: 30,
      prompt: 'a red fox',
      hd: true,
      seed: -1.5,
    });
    expect(() => parseParams(['=x'])).toThrow(/not name=value/);
  });

  it('maps SDK error codes to exit codes with the field problems', () => {
    const e = fromSdkError(
      new SdkError('INVALID_REQUEST', 'bad', [
        { field: 'urgency', problem: 'is bad', accepted: 'low' },
      ]),
    );
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.details[0]).toBe('urgency is bad (accepted: low)');
    expect(fromSdkError(new SdkError('NOT_FOUND', 'x')).exitCode).toBe(ExitCode.notFound);
    expect(fromSdkError(new SdkError('UNAUTHENTICATED', 'x')).exitCode).toBe(ExitCode.auth);
    expect(fromSdkError(new SdkError('UNREACHABLE', 'x')).exitCode).toBe(ExitCode.unavailable);
    expect(fromSdkError(new SdkError('CHAIN', 'x')).exitCode).toBe(ExitCode.chain);
  });

  it('prints one line per state change when not on a terminal', () => {
    const out: string[] = [];
    const d = new ProgressDisplay(
      (s) => out.push(s),
      false,
      () => new Date('2026-01-01T10:20:30Z'),
    );
    d.add({ jobId: '0000-abcdef12', state: 'QUOTED', template: 'stable-diffusion' });
    d.update({
      jobId: '0000-abcdef12',
      eventType: 'JobStarted',
      state: 'RUNNING',
      progressPercent: 60,
      occurredAt: '',
      final: false,
    });
    expect(out).toEqual(['10:20:30  abcdef12  stable-diffusion          RUNNING     60%\n']);
  });
});
