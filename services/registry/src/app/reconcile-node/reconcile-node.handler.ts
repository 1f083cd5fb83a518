import { type Clock } from '@starminer/service-kit';
import { assessNode, readClaim, type Verdict } from '../../domain/admission';
import { type NodeRecord, nodeKey } from '../../domain/node';
import { decideNode, desiredTaint, type NodeInput } from '../../domain/node-lifecycle';
import {
  type Log,
  type NodeMark,
  type NodeSignatures,
  type RegionNodeWatch,
  type UnitOfWork,
} from '../ports';
import { type ProviderStandings } from '../provider-standing/provider-standings';

export interface ReconcileNodeDeps {
  transactions: UnitOfWork;
  standings: ProviderStandings;
  signatures: NodeSignatures;
  logger: Log;
  clock: Clock;
}

/**
 * Brings the registry's record of one node in line with its API server: reads the node from the
 * watch cache, checks labels, signature and provider, runs the node decider, stores the record
 * with its events (one transaction, outbox), then marks the node (taint, annotations).
 */
export class ReconcileNodeHandler {
  /** Verified (identity, signature) pairs: ecrecover is the costly part of a reconcile. */
  private readonly goodSignatures = new Set<string>();
  private readonly warned = new Set<string>();

  constructor(private readonly d: ReconcileNodeDeps) {}

  async handle(watch: RegionNodeWatch, name: string): Promise<NodeRecord | undefined> {
    const region = watch.region;
    const node = watch.node(name);
    let input: NodeInput;
    if (!node) {
      // Absence means "gone" only when the cache reflects the API server.
      if (!watch.synced()) return undefined;
      input = { kind: 'gone', region, name, reason: 'Removed' };
    } else {
      const obs = node.observation;
      const claim = readClaim(obs);
      let verdict: Verdict;
      if (!claim.ok) {
        verdict = claim;
      } else {
        for (const w of claim.warnings) this.warnOnce(`${region}/${name}:${w}`, w, region, name);
        const identity = { node: name, uid: obs.uid, region, provider: claim.claim.provider };
        const sigKey = `${identity.node}|${identity.uid}|${identity.region}|${identity.provider}|${obs.signature}`;
        const sig = this.goodSignatures.has(sigKey)
          ? { ok: true as const }
          : this.d.signatures.verify(identity, obs.signature);
        if (sig.ok) this.goodSignatures.add(sigKey);
        verdict = sig.ok
          ? assessNode(sig, await this.d.standings.standing(claim.claim.provider))
          : sig;
      }
      input = { kind: 'observed', obs, claim, verdict };
    }

    const now = this.d.clock.now();
    const key = nodeKey(region, name);
    const decision = await this.d.transactions.transact(async (work) => {
      const prev = await work.nodes.getForUpdate(region, name);
      const decided = decideNode(prev, input, now);
      if (!decided.persist) return decided;
      if (decided.next) await work.nodes.save(decided.next);
      else await work.nodes.delete(region, name);
      const base = prev?.version ?? 0;
      await work.events.append(
        decided.events.map((event, i) => ({
          aggregateId: key,
          aggregateVersion: base + i + 1,
          event,
        })),
      );
      return decided;
    });
    for (const e of decision.events)
      this.d.logger.info(e.type, {
        region,
        node: name,
        ...('reason' in e ? { reason: e.reason } : {}),
        ...('message' in e && e.message ? { detail: e.message } : {}),
      });

    const record = decision.next;
    if (record && node) {
      const mark: NodeMark = {
        status: record.status,
        reason: record.reason,
        taint: desiredTaint(record),
      };
      if (!node.carries(mark)) await node.mark(mark);
    }
    return record;
  }

  private warnOnce(key: string, msg: string, region: string, node: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.d.logger.warn(msg, { region, node });
  }
}
