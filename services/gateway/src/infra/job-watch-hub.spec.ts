import { jobEvents } from '@starminer/eventing';
import { STATE_AFTER_EVENT } from '../domain/job-progress';

// Events that only annotate a job (a proposal, a note on why it waits) and move no state.
const NO_STATE_CHANGE = ['JobRerouteProposed', 'JobRoutingBlocked'];

describe('the watch hub state mapping', () => {
  it('gives every state-changing job event of the catalogue the state it leads to', () => {
    const unmapped = jobEvents
      .types()
      .filter((t) => !NO_STATE_CHANGE.includes(t) && STATE_AFTER_EVENT[t] === undefined);
    expect(unmapped).toEqual([]);
  });

  it('sends a job whose deposit a reorg voided back to waiting for funding', () => {
    expect(STATE_AFTER_EVENT.JobFundingReverted).toBe('QUOTED');
  });
});
