import { type handleUnaryCall, status } from '@grpc/grpc-js';
import { spilloverV1, type commonV1 } from '@starminer/proto';
import { type GrpcServiceRegistration, unaryHandler } from '@starminer/service-kit';
import { candidatesFor } from '../domain/plan';
import { type Candidate, type RoutingDecision, type WaitingJob } from '../domain/routing-types';
import { type PlanResult } from '../app/plan-routing/plan-routing.handler';

class BadRequest extends Error {}

function unary<Req, Res>(work: (req: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  return unaryHandler(work, (err) =>
    err instanceof BadRequest ? status.INVALID_ARGUMENT : status.INTERNAL,
  );
}

const DECISION: Record<RoutingDecision['decision'], spilloverV1.RoutingDecision> = {
  stay: spilloverV1.RoutingDecision.ROUTING_DECISION_STAY,
  reroute: spilloverV1.RoutingDecision.ROUTING_DECISION_REROUTE,
  blocked: spilloverV1.RoutingDecision.ROUTING_DECISION_BLOCKED,
};

const candidate = (c: Candidate): spilloverV1.RegionCandidate => ({
  region: c.region,
  rttMs: c.rttMs,
  freeGpus: c.freeGpus,
  pricePerGpuSecond: c.price.toString(),
});

/** A spec asked about, as if it waited in current_region on that region's tier. */
function specJob(
  spec: commonV1.JobSpec,
  region: string,
  prices: (p: string) => bigint | undefined,
): WaitingJob {
  const mode = spec.latency?.mode;
  const product = spec.gpu?.product ?? '';
  return {
    jobId: '',
    version: 0,
    status: 'Queued',
    region,
    quoteRegion: region,
    product,
    gpus: spec.gpu?.count || 1,
    minVramMiB: spec.gpu?.minVramMib ?? 0,
    urgency: spec.urgency || 2,
    quotePrice: prices(product) ?? 0n,
    latency:
      mode?.$case === 'interactive'
        ? {
            mode: 'interactive',
            clientRegion: mode.value.clientRegion,
            maxRttMs: mode.value.maxRttMs,
          }
        : { mode: 'batch' },
    waitingSinceMs: 0,
  };
}

/** The gRPC SpilloverService: the last routing plan, per job and per region. */
export function spilloverGrpc(currentPlan: () => Promise<PlanResult>): GrpcServiceRegistration {
  const implementation: spilloverV1.SpilloverServiceServer = {
    getRoutingPlan: unary(async (r: spilloverV1.GetRoutingPlanRequest) => {
      const plan = await currentPlan();
      const { input } = plan;
      const decisions = plan.decisions.filter((d) => !r.jobId || d.jobId === r.jobId);
      let candidates: spilloverV1.RegionCandidate[] = [];
      if (r.spec) {
        if (!input.regions.some((x) => x.name === r.currentRegion))
          throw new BadRequest(
            `current_region "${r.currentRegion}" is not a region; accepted: ${input.regions.map((x) => x.name).join(', ')}`,
          );
        // Without a funded quote, the price ceiling is the tier's price where the job waits.
        const job = specJob(r.spec, r.currentRegion, (p) =>
          input.price(p, r.currentRegion, r.spec!.urgency || 2),
        );
        candidates = candidatesFor(job, input).map(candidate);
      } else if (r.jobId) {
        const job = input.jobs.find((j) => j.jobId === r.jobId);
        if (job) candidates = candidatesFor(job, input).map(candidate);
      }
      const waiting = new Map<string, number>();
      for (const j of input.jobs) waiting.set(j.region, (waiting.get(j.region) ?? 0) + 1);
      return {
        candidates,
        jobs: decisions.map((d) => ({
          jobId: d.jobId,
          version: String(d.version),
          status: d.status,
          region: d.region,
          decision: DECISION[d.decision],
          targetRegion: d.target?.region ?? '',
          reason: d.reason,
          waitingSince: new Date(d.waitingSinceMs).toISOString(),
        })),
        regions: input.regions.map((x) => ({
          region: x.name,
          reachable: x.reachable,
          freeGpus: input.nodes
            .filter((n) => n.region === x.name)
            .reduce((s, n) => s + Math.max(0, n.free), 0),
          waitingJobs: waiting.get(x.name) ?? 0,
        })),
      };
    }),
  };
  return {
    name: 'starminer.spillover.v1.SpilloverService',
    definition: spilloverV1.SpilloverServiceService,
    implementation,
    protoFile: 'starminer/spillover/v1/spillover.proto',
  };
}
