import { orderQueue, type QueuedJob } from './queue';

const job = (jobId: string, clientId: string, urgency: number, queuedAtMs: number): QueuedJob => ({
  jobId,
  clientId,
  urgency,
  queuedAtMs,
});

describe('queue order', () => {
  it('orders by urgency, then age', () => {
    const out = orderQueue(
      [job('a', 'c1', 2, 10), job('b', 'c2', 4, 30), job('c', 'c3', 2, 5)],
      100,
      { agingSecondsPerLevel: 0 },
    );
    expect(out.map((j) => j.jobId)).toEqual(['b', 'c', 'a']);
  });
  it('is fair between clients: one client with many old jobs does not starve another', () => {
    const flood = Array.from({ length: 5 }, (_, i) => job(`f${i}`, 'flooder', 2, i));
    const out = orderQueue([...flood, job('late', 'other', 2, 1000)], 2000, {
      agingSecondsPerLevel: 0,
    });
    expect(out.map((j) => j.jobId)).toEqual(['f0', 'late', 'f1', 'f2', 'f3', 'f4']);
  });
  it('ages waiting jobs up so low urgency is served eventually', () => {
    const out = orderQueue(
      [job('old-low', 'c1', 1, 0), job('new-high', 'c2', 3, 590_000)],
      600_000,
      { agingSecondsPerLevel: 200 },
    );
    expect(out.map((j) => j.jobId)).toEqual(['old-low', 'new-high']);
  });
});
