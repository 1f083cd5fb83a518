import {
  type ChainEvent,
  type EventEnvelope,
  type JobEvent,
  type NodeEvent,
} from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import { type Evidence, poolKey } from '../../domain/evidence';
import {
  type JobFacts,
  type Placement,
  outcomeEvidence,
  startupEvidence,
  type JobTerminal,
} from '../../domain/job-outcome';
import { type ReputationModel } from '../../domain/model-config';
import { computeScore, horizonStartMs, isExcluded } from '../../domain/score';
import { type NewReputationEvent, type ReputationStore } from '../ports';

export type ConsumedEvent = JobEvent | NodeEvent | ChainEvent;

/** An event that can never be applied (malformed): retrying it cannot help. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

/** The Staking contract whose Staked, UnbondingStarted and Slashed events count. */
export interface StakingContract {
  chainId: string;
  address: string;
}

const lower = (a: string): string => a.trim().toLowerCase();
const amount = (t: { baseUnits: string } | undefined): bigint => {
  try {
    return BigInt(t?.baseUnits || '0');
  } catch {
    throw new InvalidEventError(
      `token amount ${JSON.stringify(t?.baseUnits)} is not a decimal integer`,
    );
  }
};

function placementOf(p: eventsV1.JobPlacement | undefined, type: string): Placement | undefined {
  if (!p?.provider) return undefined;
  if (!p.region || !p.pool)
    throw new InvalidEventError(`${type}: placement without region or pool`);
  return { provider: lower(p.provider), region: p.region, pool: p.pool, node: p.node };
}

/**
 * Turns one consumed event into evidence, recomputes the scores it touches (provider and pool)
 * as of the event's time, and publishes ReputationUpdated for every score that changed, all in
 * the consumer's transaction (inbox row included), to which `store` is bound: exactly-once
 * effects.
 */
export class RecordEventHandler {
  constructor(
    private readonly model: ReputationModel,
    /**
     * The deployment's Staking contract: stake and slash events of any other contract or chain
     * are not this protocol's and are ignored (the consumer's scope refuses them already).
     */
    private readonly staking: StakingContract,
  ) {}

  private fromStaking(log: eventsV1.ChainLogRef | undefined): boolean {
    return (
      !!log &&
      log.chainId === this.staking.chainId &&
      lower(log.contract) === lower(this.staking.address)
    );
  }

  async handle(env: EventEnvelope<ConsumedEvent>, store: ReputationStore): Promise<void> {
    const at = env.occurredAt.getTime();
    const ref = { eventId: env.eventId, atMs: at };
    const touched = await this.apply(env.event, ref, store);
    for (const [provider, pools] of touched) await this.rescore(store, env, provider, pools);
  }

  /** Returns provider -> pools whose scores the event may change. */
  private async apply(
    e: ConsumedEvent,
    ref: { eventId: string; atMs: number },
    { evidence, scores }: ReputationStore,
  ): Promise<Map<string, Set<string>>> {
    const touched = new Map<string, Set<string>>();
    const add = async (ev: Evidence[]) => {
      await evidence.add(ev);
      for (const x of ev) {
        const pools = touched.get(x.provider) ?? new Set<string>();
        if (x.pool) pools.add(x.pool);
        touched.set(x.provider, pools);
      }
    };
    switch (e.type) {
      case 'JobSubmitted':
        await evidence.saveJob({
          jobId: e.jobId,
          clientAddress: lower(e.clientAddress),
          gpuCount: e.spec?.gpu?.count ?? 1,
          maxDurationSeconds: e.spec?.maxDurationSeconds ?? 0,
          estimatedRuntimeSeconds: e.estimatedRuntimeSeconds,
        });
        break;
      case 'JobDispatched': {
        const facts = await evidence.job(e.jobId);
        if (facts)
          await evidence.saveJob({
            ...facts,
            dispatchedAtMs: ref.atMs,
            startedAtMs: undefined,
          });
        break;
      }
      case 'JobStarted': {
        const facts = await evidence.job(e.jobId);
        const placement = placementOf(e.placement, e.type);
        const startedAt = e.startedAt ? new Date(e.startedAt).getTime() : ref.atMs;
        if (facts) await evidence.saveJob({ ...facts, startedAtMs: startedAt });
        if (placement) await add(startupEvidence(ref, placement, facts, startedAt));
        break;
      }
      case 'JobSucceeded':
      case 'JobFailed':
      case 'JobTimedOut': {
        const placement = placementOf(e.placement, e.type);
        if (!placement) break; // never placed: says nothing about a provider
        const facts: JobFacts | undefined = await evidence.job(e.jobId);
        const gpuSeconds = Number(e.usage?.gpuSeconds ?? 0);
        const terminal: JobTerminal =
          e.type === 'JobSucceeded'
            ? { type: 'succeeded', gpuSeconds }
            : e.type === 'JobFailed'
              ? {
                  type: 'failed',
                  gpuSeconds,
                  providerFault: e.kind === eventsV1.JobFailureKind.JOB_FAILURE_KIND_NODE_FAULT,
                  reason: e.reason,
                }
              : { type: 'timed-out', gpuSeconds, maxDurationSeconds: e.maxDurationSeconds };
        await add(outcomeEvidence(ref, placement, terminal, facts ?? undefined, this.model));
        break;
      }
      case 'NodeQuarantined':
        await add([
          {
            ...ref,
            provider: lower(e.provider),
            pool: poolKey(e.region, e.pool),
            kind: 'quarantine',
            node: `${e.region}/${e.node}`,
            reason: e.reason,
          },
        ]);
        break;
      case 'NodeRecovered':
      case 'NodeLeft': {
        const pool = await evidence.closeQuarantine(
          lower(e.provider),
          `${e.region}/${e.node}`,
          ref.atMs,
        );
        if (pool !== undefined) touched.set(lower(e.provider), new Set([pool]));
        break;
      }
      case 'Staked':
      case 'UnbondingStarted':
        if (!this.fromStaking(e.log)) break;
        await evidence.setStake(
          lower(e.provider),
          amount(e.totalStaked),
          Number(e.log?.blockNumber ?? 0),
          e.log?.logIndex ?? 0,
        );
        break;
      case 'Slashed': {
        if (!this.fromStaking(e.log)) break;
        const slashed = amount(e.amount);
        const left = amount(e.totalStaked);
        const provider = lower(e.provider);
        await evidence.setStake(
          provider,
          left,
          Number(e.log?.blockNumber ?? 0),
          e.log?.logIndex ?? 0,
        );
        const stakeShare =
          slashed + left > 0n ? Number((slashed * 1_000_000n) / (slashed + left)) / 1_000_000 : 1;
        await add([
          {
            ...ref,
            provider,
            jobId: e.jobId || undefined,
            kind: 'slash',
            amount: slashed,
            stakeShare,
          },
        ]);
        // a slash lowers every pool of the provider
        touched.set(provider, new Set(await scores.poolsOf(provider)));
        break;
      }
      case 'ChainReorged':
        for (const provider of await evidence.voidEvents(e.voidedEventIds))
          touched.set(provider, new Set(await scores.poolsOf(provider)));
        break;
      default:
        break; // other events say nothing about reputation
    }
    return touched;
  }

  private async rescore(
    { evidence, scores, events }: ReputationStore,
    env: EventEnvelope<ConsumedEvent>,
    provider: string,
    pools: Set<string>,
  ): Promise<void> {
    const previous = await scores.get(provider, '');
    // Scores only move forward in time, even when topics deliver slightly out of order.
    const asOf = Math.max(env.occurredAt.getTime(), previous?.asOfMs ?? 0);
    const all = await evidence.forProvider(provider, horizonStartMs(asOf, this.model));
    const targets: Array<[string, Evidence[]]> = [['', all]];
    for (const pool of [...pools].sort())
      targets.push([pool, all.filter((e) => e.pool === pool || (e.kind === 'slash' && !e.pool))]);
    const updates: NewReputationEvent[] = [];
    for (const [pool, ev] of targets) {
      const before = pool === '' ? previous : await scores.get(provider, pool);
      const b = computeScore(ev, asOf, this.model);
      await scores.save(provider, pool, b);
      const excluded = isExcluded(b.scoreBps, this.model);
      if (
        before &&
        before.scoreBps === b.scoreBps &&
        isExcluded(before.scoreBps, this.model) === excluded
      )
        continue;
      updates.push({
        aggregateId: provider,
        event: {
          type: 'ReputationUpdated' as const,
          provider,
          previousScoreBps: before?.scoreBps ?? 0,
          scoreBps: b.scoreBps,
          jobsSucceeded: String(b.counts.succeeded),
          jobsFailedNodeFault: String(b.counts.faults),
          causeEventId: env.eventId,
          causeType: env.type,
          pool,
          excluded,
          exclusionThresholdBps: this.model.exclusionThresholdBps,
          model: this.model.name,
          slashes: String(b.counts.slashes),
          asOf: new Date(asOf).toISOString(),
        },
      });
    }
    if (updates.length > 0) await events.publish(env, updates);
  }
}
