import { commonV1 } from '@starminer/proto';
import { decide } from './job-decide';
import { IllegalTransitionError } from './errors';
import { dispatch, fund, given, match, quote, start, submit } from './job.fixtures';

const revert = { type: 'RevertFunding', voidedEventId: 'ev-1' } as const;

describe('a reorg voids the escrow deposit a job was funded by', () => {
  it('given a queued job, then it returns to Quoted with no deposit, keeping its quote', () => {
    const { state, events } = given([submit(), quote(), fund(), revert]);
    expect(events.at(-1)).toMatchObject({
      type: 'JobFundingReverted',
      voidedEventId: 'ev-1',
      previousState: commonV1.JobState.JOB_STATE_QUEUED,
    });
    expect(state.status).toBe('Quoted');
    expect(state.deposit).toBeUndefined();
    expect(state.quote?.quoteId).toBe('q-1');
  });

  it('given a matched job, then it returns to Quoted and drops its placement; the canonical deposit funds it again', () => {
    const { state } = given([submit(), quote(), fund(), match(), revert]);
    expect(state.status).toBe('Quoted');
    expect(state.placement).toBeUndefined();
    expect(given([fund()], state).state.status).toBe('Queued');
  });

  it('given a job already reverted, then a repeated report changes nothing', () => {
    const reverted = given([submit(), quote(), fund(), revert]).state;
    expect(decide(reverted, revert)).toEqual([]);
  });

  it('given a dispatched or running job, then the revert is refused (it runs on; settlement decides)', () => {
    const running = given([submit(), quote(), fund(), match(), dispatch(), start()]).state;
    expect(() => decide(running, revert)).toThrow(IllegalTransitionError);
    expect(() => decide(running, revert)).toThrow(
      /RevertFunding is not allowed for a job in state Running/,
    );
  });
});
