import { ManualClock } from '@starminer/service-kit';
import {
  FakeReachability,
  InMemoryRoutingModel,
  RecordingLog,
  RecordingMatchmaker,
  RecordingProposals,
} from '../routing.fixtures';
import { PlanRoutingHandler } from './plan-routing.handler';

const H100 = 'NVIDIA-H100-80GB-HBM3';
const SPILL_AFTER_MS = 30_000;
const RTT: Record<string, number> = {
  'us-east|eu-west': 78,
  'us-east|ap-south': 215,
  'eu-west|ap-south': 140,
};
const rttMs = (a: string, b: string) => (a === b ? 2 : (RTT[`${a}|${b}`] ?? RTT[`${b}|${a}`]));

function setup() {
  const model = new InMemoryRoutingModel();
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const matchmaker = new RecordingMatchmaker();
  const proposals = new RecordingProposals();
  const reachability = new FakeReachability();
  const log = new RecordingLog();
  const planner = new PlanRoutingHandler(
    model,
    { regions: ['us-east', 'eu-west', 'ap-south'], rttMs },
    reachability,
    matchmaker,
    proposals,
    clock,
    log,
    SPILL_AFTER_MS,
  );
  return { model, clock, matchmaker, proposals, reachability, log, planner };
}

type Model = InMemoryRoutingModel;

/** A funded batch job on the us-east H100 tier at 10 per GPU-second, waiting since `since`. */
async function waiting(
  model: Model,
  jobId: string,
  o: { version: number; status: 'Queued' | 'Overflowed'; since: Date; gpus?: number },
) {
  await model.insertJob(
    { jobId, gpus: o.gpus ?? 1, minVramMiB: 0, urgency: 2, latency: { mode: 'batch' } },
    1,
  );
  await model.changeJob(jobId, o.version, {
    status: o.status,
    product: H100,
    quoteRegion: 'us-east',
    region: 'us-east',
    quotePrice: 10n,
    waitingSince: o.since,
  });
}

async function node(model: Model, region: string, gpus: number) {
  await model.upsertNode({
    region,
    node: `${region}-h100-0`,
    product: H100,
    memoryMiB: 81559,
    gpus,
  });
}

describe('PlanRoutingHandler', () => {
  it('proposes an overflowed job to the closest region with capacity, JobRerouteProposed first, once per job version', async () => {
    const { model, clock, matchmaker, proposals, log, planner } = setup();
    await node(model, 'us-east', 0);
    await node(model, 'eu-west', 8);
    await model.setPrice('H100-80GB', 'eu-west', 2, 8n);
    await waiting(model, 'job-a', { version: 5, status: 'Overflowed', since: clock.now() });
    const order: string[] = [];
    const publish = proposals.proposed.bind(proposals);
    proposals.proposed = async (p) => {
      order.push('published');
      await publish(p);
    };
    const reroute = matchmaker.reroute.bind(matchmaker);
    matchmaker.reroute = async (...args) => {
      order.push('rerouted');
      return reroute(...args);
    };

    await planner.plan();
    await planner.plan();

    expect(proposals.published).toEqual([
      {
        jobId: 'job-a',
        proposalId: 'job-a:5:eu-west',
        fromRegion: 'us-east',
        toRegion: 'eu-west',
        rttMs: 78,
        price: 8n,
        reason: expect.stringMatching(/^overflowed: us-east has no free/),
      },
    ]);
    expect(matchmaker.calls).toEqual(['reroute job-a -> eu-west @5 (job-a:5:eu-west)']);
    expect(order).toEqual(['published', 'rerouted']);
    expect(log.messages('info')).toEqual(['reroute applied']);

    // The job moved on (a newer version) but still waits: proposed again, at that version.
    await model.changeJob('job-a', 7, {});
    await planner.plan();
    expect(matchmaker.calls).toEqual([
      'reroute job-a -> eu-west @5 (job-a:5:eu-west)',
      'reroute job-a -> eu-west @7 (job-a:7:eu-west)',
    ]);
  });

  it('previews the plan without proposing or noting anything (a standby answering GetRoutingPlan)', async () => {
    const { model, clock, matchmaker, proposals, planner } = setup();
    await node(model, 'us-east', 0);
    await node(model, 'eu-west', 8);
    await model.setPrice('H100-80GB', 'eu-west', 2, 8n);
    await waiting(model, 'job-a', { version: 5, status: 'Overflowed', since: clock.now() });

    const preview = await planner.preview();

    expect(preview.decisions).toEqual([
      expect.objectContaining({ jobId: 'job-a', decision: 'reroute', version: 5 }),
    ]);
    expect(proposals.published).toEqual([]);
    expect(matchmaker.calls).toEqual([]);
    expect(planner.lastPlan()).toBeUndefined();
    // The round that acts decides the same.
    const acted = await planner.plan();
    expect(acted.decisions).toEqual(preview.decisions);
    expect(matchmaker.calls).toEqual(['reroute job-a -> eu-west @5 (job-a:5:eu-west)']);
  });

  it('settles a refused proposal at its version, and proposes again after the matchmaker could not be asked', async () => {
    const { model, clock, matchmaker, log, planner } = setup();
    await node(model, 'eu-west', 4);
    await model.setPrice(H100, 'eu-west', 2, 9n);
    await waiting(model, 'stale', { version: 3, status: 'Overflowed', since: clock.now() });
    await waiting(model, 'unsent', { version: 4, status: 'Overflowed', since: clock.now() });
    matchmaker.refusing.add('stale');
    let unreachableFor = 'unsent';
    const reroute = matchmaker.reroute.bind(matchmaker);
    matchmaker.reroute = async (...args) => {
      if (args[0] === unreachableFor) throw new Error('unavailable');
      return reroute(...args);
    };

    await planner.plan();
    expect(log.messages('info')).toEqual(['reroute refused']);
    expect(log.messages('warn')).toEqual(['reroute not delivered']);

    unreachableFor = '';
    await planner.plan();
    expect(matchmaker.calls.filter((c) => c.startsWith('reroute stale'))).toHaveLength(1);
    expect(matchmaker.calls.filter((c) => c.startsWith('reroute unsent'))).toHaveLength(1);
    expect(log.messages('info')).toEqual(['reroute refused', 'reroute applied']);
  });

  it('spills a queued job only once it has waited spillAfterMs in a saturated region', async () => {
    const { model, clock, matchmaker, planner } = setup();
    await node(model, 'us-east', 0);
    await node(model, 'eu-west', 2);
    await model.setPrice(H100, 'eu-west', 2, 10n);
    await waiting(model, 'job-q', { version: 4, status: 'Queued', since: clock.now() });

    clock.advance(SPILL_AFTER_MS - 1_000);
    const early = await planner.plan();
    expect(early.decisions.map((d) => [d.jobId, d.decision, d.due])).toEqual([
      ['job-q', 'stay', false],
    ]);
    expect(early.decisions[0]!.reason).toMatch(/it spills in 1 s if still waiting$/);
    expect(matchmaker.calls).toEqual([]);

    clock.advance(1_000);
    const due = await planner.plan();
    expect(due.decisions[0]).toMatchObject({ decision: 'reroute', target: { region: 'eu-west' } });
    expect(due.input.nowMs).toBe(clock.nowMs());
    expect(planner.lastPlan()?.at).toEqual(clock.now());
    expect(matchmaker.calls).toEqual(['reroute job-q -> eu-west @4 (job-q:4:eu-west)']);
  });

  it('moves a queued job out of an unreachable region at once', async () => {
    const { model, clock, reachability, matchmaker, planner } = setup();
    await node(model, 'us-east', 8);
    await node(model, 'eu-west', 8);
    await model.setPrice(H100, 'eu-west', 2, 10n);
    await waiting(model, 'job-u', { version: 4, status: 'Queued', since: clock.now() });
    await planner.plan();
    expect(matchmaker.calls).toEqual([]);

    reachability.unreachable.add('us-east');
    const plan = await planner.plan();
    expect(plan.input.regions).toContainEqual({ name: 'us-east', reachable: false });
    expect(matchmaker.calls).toEqual(['reroute job-u -> eu-west @4 (job-u:4:eu-west)']);
  });

  it('notes a blocked job once per distinct reason, and not when the job already carries it', async () => {
    const { model, clock, matchmaker, planner } = setup();
    await node(model, 'us-east', 0);
    await node(model, 'eu-west', 0);
    await waiting(model, 'job-b', { version: 5, status: 'Overflowed', since: clock.now() });

    await planner.plan();
    await planner.plan();
    const reason = planner.lastPlan()!.decisions[0]!.reason;
    expect(reason).toMatch(/^no region qualifies: /);
    expect(matchmaker.calls).toEqual([`note job-b: ${reason}`]);

    // Another reason (eu-west now publishes a price, above the funded one): noted again.
    await model.setPrice(H100, 'eu-west', 2, 12n);
    await planner.plan();
    const second = planner.lastPlan()!.decisions[0]!.reason;
    expect(second).toContain('eu-west price 12 > funded 10 per GPU-second');
    expect(matchmaker.calls).toEqual([`note job-b: ${reason}`, `note job-b: ${second}`]);

    // A planner that starts after the note was recorded on the job does not note it again.
    const fresh = setup();
    await node(fresh.model, 'us-east', 0);
    await waiting(fresh.model, 'job-c', { version: 5, status: 'Overflowed', since: clock.now() });
    await fresh.planner.plan();
    const recorded = fresh.planner.lastPlan()!.decisions[0]!.reason;
    fresh.matchmaker.calls.length = 0;
    const restarted = new PlanRoutingHandler(
      fresh.model,
      { regions: ['us-east', 'eu-west', 'ap-south'], rttMs },
      fresh.reachability,
      fresh.matchmaker,
      fresh.proposals,
      fresh.clock,
      fresh.log,
      SPILL_AFTER_MS,
    );
    await fresh.model.changeJob('job-c', 6, { routingNote: recorded });
    await restarted.plan();
    expect(fresh.matchmaker.calls).toEqual([]);
  });

  it('keeps trying to note a blocked job until the matchmaker records it', async () => {
    const { model, clock, matchmaker, log, planner } = setup();
    await waiting(model, 'job-n', { version: 2, status: 'Overflowed', since: clock.now() });
    matchmaker.down = true;
    await planner.plan();
    expect(log.messages('warn')).toEqual(['routing note not recorded']);
    matchmaker.down = false;
    await planner.plan();
    await planner.plan();
    expect(matchmaker.calls.filter((c) => c.startsWith('note job-n'))).toHaveLength(2);
  });
});
