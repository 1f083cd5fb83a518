import { bestNode, noFreeCapacity, rankRegions } from './candidates';
import {
  type Candidate,
  type NodeFree,
  type PlanInput,
  type RoutingDecision,
  type WaitingJob,
} from './routing-types';

const nodeKey = (n: { region: string; node: string }) => `${n.region}/${n.node}`;

const byAge = (a: WaitingJob, b: WaitingJob): number =>
  a.waitingSinceMs - b.waitingSinceMs || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0);

function describeTarget(c: Candidate, job: WaitingJob): string {
  const rtt =
    job.latency.mode === 'interactive'
      ? `${c.rttMs} ms from ${job.latency.clientRegion}`
      : `${c.rttMs} ms`;
  return `${c.region}: ${rtt}, ${c.freeGpus} ${job.product} free, price ${c.price} <= funded ${job.quotePrice}`;
}

/**
 * The routing plan: for every waiting job, stay, move (and where), or blocked (and why).
 *
 * 1. Capacity first goes to the jobs that can wait where they are, oldest first, and among them
 *    first to the jobs that have nowhere else to go: moving jobs out must never leave a job that
 *    cannot move without the capacity of its own region (no starvation of pinned jobs).
 * 2. The rest (their region is saturated or unreachable, or they overflowed) move oldest first
 *    to the best region that qualifies, using only capacity left after that region's own
 *    waiting jobs, so a move never starves the target either. Each move takes its GPUs from the
 *    working copy, so two jobs are not sent to the same free GPUs.
 * 3. A job due to move with no qualifying region is blocked with every region's reason.
 */
export function planRouting(input: PlanInput): RoutingDecision[] {
  const reachable = new Map(input.regions.map((r) => [r.name, r.reachable]));
  const free = new Map<string, NodeFree>(
    input.nodes
      .filter((n) => reachable.has(n.region))
      .map((n) => [nodeKey(n), { ...n, free: Math.max(0, n.free) }]),
  );
  const jobs = input.jobs.filter((j) => reachable.has(j.region)).sort(byAge);
  // Whether a job could go anywhere else at all (before any competition), to serve pinned jobs first.
  const movable = new Set(
    jobs.filter((j) => rankRegions(j, free, input).candidates.length > 0).map((j) => j.jobId),
  );
  const decisions = new Map<string, RoutingDecision>();
  const base = (j: WaitingJob) => ({
    jobId: j.jobId,
    version: j.version,
    status: j.status,
    region: j.region,
    waitingSinceMs: j.waitingSinceMs,
  });

  const homeOrder = [
    ...jobs.filter((j) => !movable.has(j.jobId)),
    ...jobs.filter((j) => movable.has(j.jobId)),
  ];
  for (const j of homeOrder) {
    if (!reachable.get(j.region)) continue;
    const n = bestNode(j, j.region, free);
    if (!n) continue;
    n.free -= j.gpus;
    decisions.set(j.jobId, {
      ...base(j),
      decision: 'stay',
      due: false,
      reason: `${j.region} has free ${j.product} for it (${n.node}); the matchmaker places it there`,
    });
  }

  for (const j of jobs) {
    if (decisions.has(j.jobId)) continue;
    const home = reachable.get(j.region)
      ? noFreeCapacity(j, j.region)
      : `${j.region} is unreachable`;
    const waited = input.nowMs - j.waitingSinceMs;
    const due =
      !reachable.get(j.region) || j.status === 'Overflowed' || waited >= input.options.spillAfterMs;
    if (!due) {
      const left = Math.ceil((input.options.spillAfterMs - waited) / 1000);
      decisions.set(j.jobId, {
        ...base(j),
        decision: 'stay',
        due: false,
        reason: `${home}; it spills in ${left} s if still waiting`,
      });
      continue;
    }
    const { candidates, excluded } = rankRegions(j, free, input);
    const best = candidates[0];
    if (!best) {
      decisions.set(j.jobId, {
        ...base(j),
        decision: 'blocked',
        due: true,
        reason: `no region qualifies: ${[home, ...excluded].join('; ')}`,
      });
      continue;
    }
    bestNode(j, best.region, free)!.free -= j.gpus;
    const why = !reachable.get(j.region)
      ? home
      : j.status === 'Overflowed'
        ? `overflowed: ${home}`
        : `saturated: ${home}`;
    decisions.set(j.jobId, {
      ...base(j),
      decision: 'reroute',
      target: best,
      due: true,
      reason: `${why}; moves to ${describeTarget(best, j)}`,
    });
  }
  return jobs.map((j) => decisions.get(j.jobId)!);
}

/** Regions that could take a job (for GetRoutingPlan on a spec), best first. */
export function candidatesFor(job: WaitingJob, input: PlanInput): Candidate[] {
  const free = new Map<string, NodeFree>(input.nodes.map((n) => [nodeKey(n), { ...n }]));
  return rankRegions(job, free, input).candidates;
}
