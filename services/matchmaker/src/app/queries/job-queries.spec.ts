import { ManualClock, T0 } from '../app.fixtures';
import { JobNotFoundError } from '../errors';
import { historyTo, InMemoryJobs } from '../jobs.fixtures';
import { JobQueries } from './job-queries';

function setup() {
  const clock = new ManualClock(T0);
  const jobs = new InMemoryJobs(clock);
  return { clock, jobs, queries: new JobQueries(jobs, jobs) };
}

describe('GetJob', () => {
  it('given a job, then its state and version from the stream and its times from the read model', async () => {
    const { clock, jobs, queries } = setup();
    jobs.given('job-1', historyTo('Quoted', 'job-1'));
    clock.advance(5_000);
    jobs.given('job-1', [{ type: 'Cancel', by: 'client', reason: 'r', gpuSeconds: 0n }]);
    const view = await queries.get('job-1');
    expect(view.state.status).toBe('Cancelled');
    expect(view.version).toBe(3);
    expect(view.submittedAt).toEqual(new Date(T0));
    expect(view.updatedAt).toEqual(new Date(T0 + 5_000));
  });

  it('given no such job, then NOT_FOUND', async () => {
    await expect(setup().queries.get('job-x')).rejects.toBeInstanceOf(JobNotFoundError);
  });
});

describe('ListJobs', () => {
  function withJobs() {
    const s = setup();
    for (let i = 1; i <= 5; i++) {
      const id = `job-${i}`;
      s.jobs.given(id, historyTo('Submitted', id, { clientId: i % 2 ? 'odd' : 'even' }));
    }
    return s;
  }

  it('pages newest first; the token of a page is its last id, empty after the last page', async () => {
    const { queries } = withJobs();
    const first = await queries.list('', 2, '');
    expect(first.jobs.map((j) => j.state.jobId)).toEqual(['job-5', 'job-4']);
    expect(first.next).toBe('job-4');
    const second = await queries.list('', 2, first.next);
    expect(second.jobs.map((j) => j.state.jobId)).toEqual(['job-3', 'job-2']);
    const last = await queries.list('', 2, second.next);
    expect(last.jobs.map((j) => j.state.jobId)).toEqual(['job-1']);
    expect(last.next).toBe('');
  });

  it('given a last page that is exactly full, then there is no next page', async () => {
    const { queries } = withJobs();
    const page = await queries.list('', 2, 'job-3');
    expect(page.jobs.map((j) => j.state.jobId)).toEqual(['job-2', 'job-1']);
    expect(page.next).toBe('');
  });

  it("lists one client's jobs; a page size of 0 means 50", async () => {
    const { queries } = withJobs();
    const odd = await queries.list('odd', 0, '');
    expect(odd.jobs.map((j) => j.state.jobId)).toEqual(['job-5', 'job-3', 'job-1']);
    expect(odd.next).toBe('');
  });
});
