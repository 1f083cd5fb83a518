import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { type Candidate, type NodeFree, type PlanInput, type WaitingJob } from './routing-types';

/** Same GPU class (a node may report another label of the class its tier is named by). */
export function sameClass(a: string, b: string): boolean {
  const ca = resolveGpuClass(a);
  return ca === 'unknown' ? a === b : ca === resolveGpuClass(b);
}

/** Whether a node can run the job: the GPU class of its funded tier, enough VRAM per GPU. */
export function nodeFits(job: WaitingJob, n: NodeFree): boolean {
  return sameClass(n.product, job.product) && n.memoryMiB >= job.minVramMiB;
}

/** The node with the fewest free GPUs that still holds the job (best fit), or undefined. */
export function bestNode(
  job: WaitingJob,
  region: string,
  free: ReadonlyMap<string, NodeFree>,
): NodeFree | undefined {
  let best: NodeFree | undefined;
  for (const n of free.values()) {
    if (n.region !== region || !nodeFits(job, n) || n.free < job.gpus) continue;
    if (!best || n.free < best.free || (n.free === best.free && n.node < best.node)) best = n;
  }
  return best;
}

export function freeGpusOf(
  job: WaitingJob,
  region: string,
  free: ReadonlyMap<string, NodeFree>,
): number {
  let total = 0;
  for (const n of free.values()) if (n.region === region && nodeFits(job, n)) total += n.free;
  return total;
}

/** Latency that ranks a region for the job: from the client's region, or for batch jobs from where it was quoted. */
export function rankingRtt(job: WaitingJob, region: string, input: PlanInput): number | undefined {
  const from = job.latency.mode === 'interactive' ? job.latency.clientRegion : job.quoteRegion;
  return input.rttMs(from, region);
}

/** Price of the job's tier in a region; its own quoted region is priced by the quote itself. */
export function tierPrice(job: WaitingJob, region: string, input: PlanInput): bigint | undefined {
  const published = input.price(job.product, region, job.urgency);
  if (region === job.quoteRegion) return published ?? job.quotePrice;
  return published;
}

export const noFreeCapacity = (job: WaitingJob, region: string): string =>
  `${region} has no free ${job.product} for ${job.gpus} GPU(s)`;

/**
 * Checks one region for the job, in the order the product states: reachable, GPU constraints met
 * by free capacity, latency within the budget, price within the funded quote. Returns the
 * candidate, or the first reason the region does not qualify (readable, names the numbers).
 */
export function evaluateRegion(
  job: WaitingJob,
  region: string,
  reachable: boolean,
  free: ReadonlyMap<string, NodeFree>,
  input: PlanInput,
): { candidate: Candidate } | { excluded: string } {
  if (!reachable) return { excluded: `${region} is unreachable` };
  const rtt = rankingRtt(job, region, input);
  if (job.latency.mode === 'interactive') {
    const budget = job.latency.maxRttMs;
    if (rtt === undefined)
      return {
        excluded: `${region} has no latency from ${job.latency.clientRegion} in the matrix`,
      };
    if (rtt > budget) return { excluded: `${region} ${rtt} ms > ${budget} ms budget` };
  }
  const price = tierPrice(job, region, input);
  if (price === undefined) return { excluded: `${region} has no published ${job.product} price` };
  if (price > job.quotePrice)
    return { excluded: `${region} price ${price} > funded ${job.quotePrice} per GPU-second` };
  if (!bestNode(job, region, free)) return { excluded: noFreeCapacity(job, region) };
  return {
    candidate: { region, rttMs: rtt ?? 0, price, freeGpus: freeGpusOf(job, region, free) },
  };
}

/** Lowest latency first, then lowest price, then name (a stable order). */
export function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.rttMs !== b.rttMs) return a.rttMs - b.rttMs;
  if (a.price !== b.price) return a.price < b.price ? -1 : 1;
  return a.region < b.region ? -1 : a.region > b.region ? 1 : 0;
}

/** Every other region that qualifies, best first, and why each of the rest does not. */
export function rankRegions(
  job: WaitingJob,
  free: ReadonlyMap<string, NodeFree>,
  input: PlanInput,
): { candidates: Candidate[]; excluded: string[] } {
  const candidates: Candidate[] = [];
  const excluded: string[] = [];
  for (const r of input.regions) {
    if (r.name === job.region) continue;
    const e = evaluateRegion(job, r.name, r.reachable, free, input);
    if ('candidate' in e) candidates.push(e.candidate);
    else excluded.push(e.excluded);
  }
  return { candidates: candidates.sort(compareCandidates), excluded };
}
