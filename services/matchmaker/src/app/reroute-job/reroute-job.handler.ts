import { type JobState } from '../../domain/job-state';
import { CommandRejectedError } from '../../domain/errors';
import { type RegionsFile } from '../../infra/regions-file';
import { type JobRepository } from '../../infra/postgres/job-repository';
import { JobNotFoundError } from '../errors';
import { type Clock } from '../ports';
import { placementDeadline } from '../match-queue/urgency-deadlines';

/** Reroute (from spillover): an Overflowed job moves to another region within its latency budget. */
export class RerouteJobHandler {
  constructor(
    private readonly jobs: JobRepository,
    private readonly regions: RegionsFile,
    private readonly clock: Clock,
  ) {}

  async execute(
    jobId: string,
    toRegion: string,
    expectedVersion: number,
    proposalId: string,
  ): Promise<JobState> {
    if (!this.regions.regions.includes(toRegion))
      throw new CommandRejectedError(
        `target_region "${toRegion}" is not a region; accepted: ${this.regions.regions.join(', ')}`,
      );
    const { version } = await this.jobs.load(jobId);
    if (version === 0) throw new JobNotFoundError(jobId);
    const r = await this.jobs.execute(jobId, (state, current) => {
      const mode = state.spec?.latency?.mode;
      return {
        type: 'Reroute',
        proposalId,
        toRegion,
        expectedVersion,
        currentVersion: current,
        rttMs:
          mode?.$case === 'interactive' ? this.regions.rttMs(mode.value.clientRegion, toRegion) : 0,
        placementDeadline: placementDeadline(this.clock.now(), state.spec?.urgency ?? 2),
      };
    });
    return r.state;
  }
}
