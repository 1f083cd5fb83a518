import { JsonLogger } from '@starminer/service-kit';
import { type NodeFree, type WaitingJob } from '../../domain/routing-types';
import { type RoutingRepository } from '../../infra/postgres/routing-repository';
import { type MatchmakerPort, type ProposalPublisher } from '../ports';
import { PlanRoutingHandler } from './plan-routing.handler';

const H100 = 'NVIDIA-H100-80GB-HBM3';
const job = (id: string, over: Partial<WaitingJob> = {}): WaitingJob & { routingNote: string } => ({
  jobId: id,
  version: 5,
  status: 'Overflowed',
  region: 'us-east',
  quoteRegion: 'us-east',
  product: H100,
  gpus: 1,
  minVramMiB: 0,
  urgency: 2,
  quotePrice: 10n,
  latency: { mode: 'batch' },
  waitingSinceMs: 0,
  routingNote: '',
  ...over,
});
const node = (region: string, free: number): NodeFree => ({
  region,
  node: `${region}-0`,
  product: H100,
  memoryMiB: 81559,
  free,
});

function setup(jobs: Array<WaitingJob & { routingNote: string }>, nodes: NodeFree[]) {
  const state = { jobs, nodes };
  const repo = {
    waitingJobs: async () => state.jobs,
    freeNodes: async () => state.nodes,
    prices: async () => new Map([[`H100-80GB|eu-west|2`, 8n]]),
  } as unknown as RoutingRepository;
  const calls: string[] = [];
  const matchmaker: MatchmakerPort = {
    reroute: async (id, to, v) => {
      calls.push(`reroute ${id} ${to} @${v}`);
      return id === 'stale' ? { outcome: 'refused', message: 'stale' } : { outcome: 'applied' };
    },
    note: async (id, reason) => {
      calls.push(`note ${id} ${reason.slice(0, 17)}`);
    },
  };
  const published: string[] = [];
  const publisher: ProposalPublisher = {
    proposed: async (p) => {
      published.push(`${p.jobId} ${p.fromRegion}->${p.toRegion} ${p.proposalId}`);
    },
  };
  const handler = new PlanRoutingHandler(
    repo,
    { regions: ['us-east', 'eu-west'], rttMs: () => 78 },
    { reachable: () => true },
    matchmaker,
    publisher,
    { now: () => new Date(60_000) },
    new JsonLogger({ service: 'spillover-test', level: 'fatal' }),
    30_000,
  );
  return { state, handler, calls, published };
}

describe('PlanRoutingHandler', () => {
  it('proposes a move once per job version, publishing JobRerouteProposed first, and again only at a newer version', async () => {
    const { state, handler, calls, published } = setup(
      [job('a'), job('stale')],
      [node('us-east', 0), node('eu-west', 8)],
    );
    await handler.plan();
    await handler.plan();
    expect(calls.sort()).toEqual(['reroute a eu-west @5', 'reroute stale eu-west @5']);
    expect(published).toContain('a us-east->eu-west a:5:eu-west');
    state.jobs = [job('stale', { version: 7 })];
    await handler.plan();
    expect(calls).toContain('reroute stale eu-west @7');
    expect(handler.lastPlan()?.decisions.map((d) => d.decision)).toEqual(['reroute']);
  });

  it('notes a blocked job once per distinct reason, and not when the job already carries it', async () => {
    const { state, handler, calls } = setup([job('b')], [node('us-east', 0), node('eu-west', 0)]);
    await handler.plan();
    await handler.plan();
    expect(calls).toEqual(['note b no region qualifi']);
    const reason = handler.lastPlan()!.decisions[0]!.reason;
    const fresh = setup([{ ...job('c'), routingNote: reason }], state.nodes);
    await fresh.handler.plan();
    expect(fresh.calls).toEqual([]);
  });
});
