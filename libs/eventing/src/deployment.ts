import { type DeploymentContracts, chainEventsOf, servedRegions } from './catalogue/scope-rules';
import { type EventScope } from './consumer/event-scope';
import { type EventOrigin } from './envelope';

/**
 * A deployment is one contract set on one chain: "<chain id>:<JobEscrow address, lower case>".
 * Two stacks sharing a broker, a database server or a chain always differ in it.
 */
export function deploymentIdOf(deployment: DeploymentContracts): string {
  return `${deployment.chainId}:${deployment.contracts.jobEscrow.toLowerCase()}`;
}

/** What a service stamps on the events it writes and accepts of the events it reads. */
export interface DeploymentScope {
  deploymentId: string;
  origin: EventOrigin;
  scope: EventScope;
}

/**
 * The scope of `service` in `deployment`: its events are stamped with the deployment and the
 * service's name; it accepts events of the deployment only, chain events only from the
 * deployment's contracts on its chain, and (given `regions`) node and price events only of the
 * regions it serves.
 */
export function deploymentScope(
  deployment: DeploymentContracts,
  opts: { service: string; regions?: Iterable<string> },
): DeploymentScope {
  const deploymentId = deploymentIdOf(deployment);
  const rules = [chainEventsOf(deployment)];
  if (opts.regions) rules.push(servedRegions(opts.regions));
  return {
    deploymentId,
    origin: { deploymentId, producer: opts.service },
    scope: { deploymentId, rules },
  };
}
