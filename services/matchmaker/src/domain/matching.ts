import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { type commonV1 } from '@starminer/proto';
import { freeGpus, nodeKey, type NodeCapacity, type Reservation } from './capacity';
import { type Placement } from './job-state';
import { type MatchingWeights } from './matching-weights';

/** What matching needs to know about one queued job. */
export interface MatchRequest {
  jobId: string;
  gpu: commonV1.GpuRequirement;
  urgency: commonV1.Urgency;
  latency?: commonV1.LatencyRequirement;
  regionPreference: readonly string[];
  /** The funded quote: its tier and price per GPU-second (the price ceiling). */
  quoteRegion: string;
  quoteProduct: string;
  quotePricePerGpuSecond: bigint;
  /** After a reroute: the only region allowed, with the price ceiling raised to max price. */
  reroutedTo?: string;
  /** The region the job waits in, when only spillover may move it elsewhere (no cross-region matching). */
  onlyRegion?: string;
  maxPricePerGpuSecond: bigint;
  excludedNodes: readonly string[];
}

/** Everything else matching reads, all from local read models (no synchronous calls). */
export interface MarketView {
  nodes: readonly NodeCapacity[];
  reservations: readonly Reservation[];
  activeProviders: ReadonlySet<string>;
  /** Provider -> reputation in [0, 1]; absent means not scored yet. */
  reputation: ReadonlyMap<string, number>;
  /** Current price per GPU-second of a tier, if pricing published one. */
  price(product: string, region: string, urgency: commonV1.Urgency): bigint | undefined;
  /** Round trip between two regions in ms, undefined if the matrix lacks the pair. */
  rttMs(from: string, to: string): number | undefined;
}

export interface Match {
  jobId: string;
  placement: Placement;
  gpus: number;
  score: number;
}

export interface MatchOutcome {
  matches: Match[];
  /** Jobs left waiting, with why the best node was refused (for logs and GetJob). */
  unplaced: Array<{ jobId: string; reason: string }>;
}

function sameClass(a: string, b: string): boolean {
  const ca = resolveGpuClass(a);
  return ca !== 'unknown' && ca === resolveGpuClass(b);
}

/** Hard constraints: the reason a node cannot take the job, or undefined if it can. */
function refusal(
  req: MatchRequest,
  n: NodeCapacity,
  free: number,
  view: MarketView,
  w: MatchingWeights,
): string | undefined {
  if (!n.healthy) return 'node not healthy';
  if (req.excludedNodes.includes(n.node)) return 'node excluded (lost under this job)';
  if (req.reroutedTo && n.region !== req.reroutedTo) return 'outside the rerouted region';
  if (req.onlyRegion && n.region !== req.onlyRegion) return "outside the job's region";
  if (req.gpu.product && !sameClass(req.gpu.product, n.product)) return 'GPU product differs';
  if (n.memoryMiB < req.gpu.minVramMib) return 'not enough VRAM per GPU';
  if (free < req.gpu.count) return 'not enough free GPUs';
  if (!view.activeProviders.has(n.provider)) return 'provider not active';
  const rep = view.reputation.get(n.provider);
  if (rep !== undefined && rep < w.reputationFloor) return 'provider reputation below the floor';
  const mode = req.latency?.mode;
  if (mode?.$case === 'interactive') {
    const rtt = view.rttMs(mode.value.clientRegion, n.region);
    if (rtt === undefined || rtt > mode.value.maxRttMs) return 'outside the latency budget';
  }
  // The funded quote is a signed price for its own tier: a node of that tier always qualifies,
  // whatever pricing published since (a later rise must not strand a job the client has paid
  // for, and without any published price the quoted tier is the only one known to be covered).
  if (!req.reroutedTo && n.region === req.quoteRegion && sameClass(n.product, req.quoteProduct))
    return undefined;
  const price = view.price(n.product, n.region, req.urgency);
  const ceiling = req.reroutedTo ? req.maxPricePerGpuSecond : req.quotePricePerGpuSecond;
  if (price === undefined) return req.reroutedTo ? undefined : 'no price for this tier';
  if (price > ceiling) return 'tier price above the funded quote';
  return undefined;
}

function score(
  req: MatchRequest,
  n: NodeCapacity,
  free: number,
  view: MarketView,
  w: MatchingWeights,
): number {
  const price = view.price(n.product, n.region, req.urgency);
  const ceiling = req.reroutedTo ? req.maxPricePerGpuSecond : req.quotePricePerGpuSecond;
  // Cheaper than the ceiling scores higher; bigint ratio in basis points stays exact enough.
  const priceScore =
    price !== undefined && ceiling > 0n ? 1 - Number((price * 10_000n) / ceiling) / 10_000 : 0;
  const reputation = view.reputation.get(n.provider) ?? w.neutralReputation;
  // Best fit: fill nodes up; starting on an untouched node costs, so whole nodes stay free
  // for jobs that need them (less fragmentation).
  const after = free - req.gpu.count;
  const untouched = free === n.allocatable - n.usedByOthers && free === n.allocatable;
  let packing = 1 - after / n.allocatable;
  if (untouched && after > 0) packing /= 2;
  const prefs = req.regionPreference;
  const idx = prefs.indexOf(n.region);
  const regionScore =
    prefs.length === 0
      ? n.region === req.quoteRegion
        ? 1
        : 0.5
      : idx < 0
        ? 0
        : 1 - idx / prefs.length;
  const x = w.weights;
  return (
    x.price * priceScore +
    x.reputation * reputation +
    x.packing * packing +
    x.regionPreference * regionScore
  );
}

/**
 * Places jobs in the given order (see orderQueue) on single nodes, best score first. Each
 * match reserves its GPUs in a working copy of free capacity before the next job is looked
 * at, so one pass can never promise a GPU twice; the caller persists the reservations in the
 * same transaction as the JobMatched events.
 */
export function matchJobs(
  requests: readonly MatchRequest[],
  view: MarketView,
  w: MatchingWeights,
): MatchOutcome {
  const free = freeGpus(view.nodes, view.reservations);
  const matches: Match[] = [];
  const unplaced: MatchOutcome['unplaced'] = [];
  for (const req of requests) {
    let best: { n: NodeCapacity; s: number } | undefined;
    const reasons = new Map<string, number>();
    for (const n of view.nodes) {
      const f = free.get(nodeKey(n.region, n.node)) ?? 0;
      const why = refusal(req, n, f, view, w);
      if (why) {
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
        continue;
      }
      const s = score(req, n, f, view, w);
      if (
        !best ||
        s > best.s + 1e-12 ||
        (Math.abs(s - best.s) <= 1e-12 &&
          nodeKey(n.region, n.node) < nodeKey(best.n.region, best.n.node))
      )
        best = { n, s };
    }
    if (!best) {
      const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0];
      unplaced.push({ jobId: req.jobId, reason: top ? `${top[0]} (${top[1]} nodes)` : 'no nodes' });
      continue;
    }
    const key = nodeKey(best.n.region, best.n.node);
    free.set(key, free.get(key)! - req.gpu.count);
    matches.push({
      jobId: req.jobId,
      gpus: req.gpu.count,
      score: best.s,
      placement: {
        provider: best.n.provider,
        region: best.n.region,
        pool: best.n.pool,
        node: best.n.node,
      },
    });
  }
  return { matches, unplaced };
}
