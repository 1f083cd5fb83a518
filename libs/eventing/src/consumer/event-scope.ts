import { type EventRegistry, type TypedEvent } from '../catalogue/registry';
import { type EventEnvelope } from '../envelope';

/**
 * Why a consumer refused an event. A bounded set: it is a metric label.
 * - foreign_deployment: the envelope names another deployment (another contract set or chain).
 * - no_deployment: the envelope names none (written before deployments were recorded); refused,
 *   never upcast, since nothing can tell which deployment it came from.
 * - wrong_producer: the type is published by another service than the catalogue's owner.
 * - foreign_chain / foreign_contract: a chain event whose log is not from this deployment's
 *   chain or from the contract that emits that event in this deployment.
 * - unknown_region: a node or price event of a region this deployment does not serve.
 */
export type DropReason =
  | 'foreign_deployment'
  | 'no_deployment'
  | 'wrong_producer'
  | 'foreign_chain'
  | 'foreign_contract'
  | 'unknown_region';

export interface Refusal {
  reason: DropReason;
  /** What was wrong, for the log line. */
  detail: string;
}

/** A check of one event beyond the envelope's origin; undefined admits it. */
export type ScopeRule = (envelope: EventEnvelope) => Refusal | undefined;

/** What a consumer accepts: its own deployment's events, from each type's owner, and its rules. */
export interface EventScope {
  deploymentId: string;
  rules?: ScopeRule[];
}

/** The first reason to refuse `envelope` in `scope`, or undefined if it is this deployment's. */
export function refusalOf<E extends TypedEvent>(
  scope: EventScope,
  registry: EventRegistry<E>,
  envelope: EventEnvelope<E>,
): Refusal | undefined {
  if (!envelope.deploymentId)
    return { reason: 'no_deployment', detail: 'the envelope names no deployment' };
  if (envelope.deploymentId !== scope.deploymentId)
    return {
      reason: 'foreign_deployment',
      detail: `deployment ${envelope.deploymentId}, not ${scope.deploymentId}`,
    };
  const owner = registry.definition(envelope.type).producer;
  if (envelope.producer !== owner)
    return {
      reason: 'wrong_producer',
      detail: `${envelope.type} published by '${envelope.producer}', only '${owner}' publishes it`,
    };
  for (const rule of scope.rules ?? []) {
    const refusal = rule(envelope);
    if (refusal) return refusal;
  }
  return undefined;
}

/**
 * Source of a refused event for "log once per source": the deployment and producer it claims,
 * with the reason (one line per distinct forger, not per event).
 */
export function refusalSource(envelope: EventEnvelope, refusal: Refusal): string {
  return `${refusal.reason}|${envelope.deploymentId}|${envelope.producer}`;
}
