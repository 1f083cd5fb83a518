import { type Clock, type RegionsFile } from '@starminer/service-kit';
import { planRouting } from '../../domain/plan';
import { type PlanInput, type RoutingDecision } from '../../domain/routing-types';
import { tierPriceLookup } from '../../domain/tier-prices';
import {
  type Log,
  type MatchmakerPort,
  type ProposalPublisher,
  type Reachability,
  type RoutingReadModel,
  type WaitingJobView,
} from '../ports';

const PROPOSALS_IN_FLIGHT = 8;

export interface PlanResult {
  at: Date;
  decisions: RoutingDecision[];
  input: PlanInput;
}

/**
 * One planning round: read the model, decide (pure), then act: propose each move to the
 * matchmaker with the version it was planned at (a stale one is refused there and simply
 * re-planned next round), and record the reason on each job that is due to move but cannot.
 * A proposal is made once per job version, a note once per distinct reason.
 */
export class PlanRoutingHandler {
  private last?: PlanResult;
  private readonly proposedAt = new Map<string, number>();
  private readonly noted = new Map<string, string>();

  constructor(
    private readonly readModel: RoutingReadModel,
    private readonly matrix: RegionsFile,
    private readonly reachability: Reachability,
    private readonly matchmaker: MatchmakerPort,
    private readonly publisher: ProposalPublisher,
    private readonly clock: Clock,
    private readonly logger: Log,
    private readonly spillAfterMs: number,
  ) {}

  /** The last plan made and acted on. */
  lastPlan(): PlanResult | undefined {
    return this.last;
  }

  /**
   * The plan as of now, without acting on it: what a replica that does not plan (a standby)
   * answers GetRoutingPlan with, from the same read model.
   */
  async preview(): Promise<PlanResult> {
    const { result } = await this.decide();
    return result;
  }

  /** One round: decide, then propose each move and note each job that is due but cannot. */
  async plan(): Promise<PlanResult> {
    const { result, jobs } = await this.decide();
    const notes = new Map(jobs.map((j) => [j.jobId, j.routingNote]));
    for (const id of [...this.proposedAt.keys()]) if (!notes.has(id)) this.proposedAt.delete(id);
    for (const id of [...this.noted.keys()]) if (!notes.has(id)) this.noted.delete(id);
    // Each proposal is one outbox write and one gRPC call: a few run at once so a large
    // overflow (a region going away) is not proposed one job at a time.
    const work = result.decisions.filter(
      (d) => d.decision === 'reroute' || (d.decision === 'blocked' && d.due),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(PROPOSALS_IN_FLIGHT, work.length) }, async () => {
        while (next < work.length) {
          const d = work[next++]!;
          if (d.decision === 'reroute') await this.propose(d);
          else await this.note(d, notes.get(d.jobId) ?? '');
        }
      }),
    );
    this.last = result;
    return result;
  }

  private async decide(): Promise<{ result: PlanResult; jobs: WaitingJobView[] }> {
    const [jobs, nodes, prices] = await Promise.all([
      this.readModel.waitingJobs(),
      this.readModel.freeNodes(),
      this.readModel.prices(),
    ]);
    const input: PlanInput = {
      nowMs: this.clock.nowMs(),
      jobs,
      nodes,
      regions: this.matrix.regions.map((name) => ({
        name,
        reachable: this.reachability.reachable(name),
      })),
      rttMs: this.matrix.rttMs,
      price: tierPriceLookup(prices),
      options: { spillAfterMs: this.spillAfterMs },
    };
    return { result: { at: this.clock.now(), decisions: planRouting(input), input }, jobs };
  }

  private async propose(d: RoutingDecision): Promise<void> {
    if (this.proposedAt.get(d.jobId) === d.version) return;
    const target = d.target!;
    const proposalId = `${d.jobId}:${d.version}:${target.region}`;
    try {
      await this.publisher.proposed({
        jobId: d.jobId,
        proposalId,
        fromRegion: d.region,
        toRegion: target.region,
        rttMs: target.rttMs,
        price: target.price,
        reason: d.reason,
      });
      const r = await this.matchmaker.reroute(d.jobId, target.region, d.version, proposalId);
      // Applied or refused, this version is settled: a refused (stale) proposal is re-planned
      // once the job's newer events arrive.
      this.proposedAt.set(d.jobId, d.version);
      if (r.outcome === 'refused')
        this.logger.info('reroute refused', { jobId: d.jobId, to: target.region, why: r.message });
      else
        this.logger.info('reroute applied', {
          jobId: d.jobId,
          from: d.region,
          to: target.region,
          version: d.version,
        });
    } catch (err) {
      // The matchmaker could not be asked: the next round proposes again.
      this.logger.warn('reroute not delivered', { jobId: d.jobId, to: target.region, err });
    }
  }

  private async note(d: RoutingDecision, recorded: string): Promise<void> {
    if (recorded === d.reason || this.noted.get(d.jobId) === d.reason) return;
    try {
      await this.matchmaker.note(d.jobId, d.reason);
      this.noted.set(d.jobId, d.reason);
    } catch (err) {
      this.logger.warn('routing note not recorded', { jobId: d.jobId, err });
    }
  }
}
