import { type Job, type StarMinerClient } from '@starminer/sdk';
import { ExitCode } from '../../errors';
import { outcomeOf } from '../../format';
import { ProgressDisplay } from '../../progress';

export interface WatchOutput {
  json: boolean;
  write: (s: string) => void;
  /** Redraw a live table (a terminal) or print one line per change (pipes, CI). */
  live: boolean;
}

/**
 * Follows jobs until each is final (or its workload ended, with `until: 'ended'`), showing their
 * progress; returns them as they ended and the exit code: 1 when any did not succeed.
 */
export async function watchJobs(
  client: StarMinerClient,
  jobs: Array<Pick<Job, 'jobId' | 'state' | 'template'>>,
  out: WatchOutput,
  until: 'final' | 'ended' = 'final',
): Promise<{ jobs: Job[]; exitCode: number }> {
  const display = new ProgressDisplay(out.write, out.live);
  for (const j of jobs) display.add(j);
  const failed = new Set<string>();
  const ended = await Promise.all(
    jobs.map((j) =>
      client.waitFor(j.jobId, {
        until,
        onProgress: (e) => {
          if (['FAILED', 'TIMED_OUT', 'CANCELLED', 'EXPIRED'].includes(e.state))
            failed.add(e.jobId);
          if (out.json) out.write(`${JSON.stringify({ event: e })}\n`);
          else display.update(e);
        },
      }),
    ),
  );
  const ok = ended.every((j) => outcomeOf(j, failed.has(j.jobId)) === 'ok');
  return { jobs: ended, exitCode: ok ? ExitCode.ok : ExitCode.failed };
}
