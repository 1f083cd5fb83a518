import { UpdateQueue } from './watch';
import { type JobState, type WatchEvent } from './types';

const ev = (state: JobState, final = false): WatchEvent => ({
  jobId: 'j',
  eventType: 'x',
  state,
  progressPercent: 0,
  occurredAt: '',
  final,
});

describe('UpdateQueue', () => {
  it('yields each state once, in order, and ends at the first final state', async () => {
    const q = new UpdateQueue();
    q.push(ev('QUOTED'));
    q.push(ev('QUOTED'));
    q.push(ev('RUNNING'));
    setTimeout(() => {
      q.push(ev('SETTLED', true));
      q.push(ev('RUNNING'));
    }, 5);
    const seen: JobState[] = [];
    for await (const e of q) seen.push(e.state);
    expect(seen).toEqual(['QUOTED', 'RUNNING', 'SETTLED']);
  });

  it('rethrows a failure after the updates before it', async () => {
    const q = new UpdateQueue();
    q.push(ev('QUEUED'));
    q.fail(new Error('gone'));
    const seen: JobState[] = [];
    await expect(
      (async () => {
        for await (const e of q) seen.push(e.state);
      })(),
    ).rejects.toThrow('gone');
    expect(seen).toEqual(['QUEUED']);
  });
});
