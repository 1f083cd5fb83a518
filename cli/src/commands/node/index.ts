import { Command } from 'commander';
import fs from 'node:fs';
import { readDeployments } from '@starminer/chain';
import { deploymentNodeLabel } from '@starminer/node-identity';
import { CliError, ExitCode } from '../../errors';
import { coreApi } from '../../kube';
import { output } from '../../output';
import { joinNode, leaveNode } from './node-join';

/**
 * The deployment label of the deployments file named (flag, then DEPLOYMENTS_FILE), or of the
 * local stack's when present; undefined when none is known (the node is then unlabelled).
 */
function joinedDeployment(file: string | undefined): string | undefined {
  const named = file ?? process.env.DEPLOYMENTS_FILE;
  const path = named ?? '/tmp/starminer-run/deployments.json';
  if (!named && !fs.existsSync(path)) return undefined;
  try {
    return deploymentNodeLabel(readDeployments(path));
  } catch (err) {
    throw new CliError(
      `--deployments ${path}: ${(err as Error).message} (a deployments file written by the contracts' deploy command)`,
      ExitCode.usage,
    );
  }
}

/** `starminer node ...`: what a node operator runs on a GPU machine's cluster. */
export function nodeCommand(): Command {
  const node = new Command('node').description(
    'join GPU nodes to a StarMiner region, or withdraw them',
  );
  node
    .command('join')
    .description(
      'claim a Kubernetes node for a provider: label it and sign its identity with the provider key',
    )
    .requiredOption('--region <region>', 'region the node joins (its cluster), e.g. us-east')
    .option('--provider-key <key>', 'provider private key, hex (or set STARMINER_PROVIDER_KEY)')
    .requiredOption('--node <name>', 'Kubernetes node name')
    .option('--pool <pool>', "pool name (default: the node's current pool, else its GPU product)")
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the region (default: $KUBECONFIG or ~/.kube/config)',
    )
    .option(
      '--deployments <file>',
      'deployments file of the StarMiner deployment joined: labels the node with it (default: $DEPLOYMENTS_FILE, else /tmp/starminer-run/deployments.json if present)',
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (o: {
        region: string;
        providerKey?: string;
        node: string;
        pool?: string;
        kubeconfig?: string;
        deployments?: string;
        json?: boolean;
      }) => {
        const providerKey = o.providerKey ?? process.env.STARMINER_PROVIDER_KEY ?? '';
        const deployment = joinedDeployment(o.deployments);
        const r = await joinNode(coreApi(o.kubeconfig), {
          region: o.region,
          providerKey,
          node: o.node,
          ...(o.pool ? { pool: o.pool } : {}),
          ...(deployment ? { deployment } : {}),
        });
        output(o.json === true).result({ ...r }, [
          `node ${r.node} (uid ${r.uid}) claimed for provider ${r.provider}`,
          `  region ${r.region}, pool ${r.pool}`,
          `  the registry admits it once it has checked the signature, the provider's stake and the GPU labels;`,
          `  see: kubectl get node ${r.node} -o jsonpath='{.metadata.annotations.starminer\\.io/admission}'`,
        ]);
      },
    );
  node
    .command('leave')
    .description('withdraw a node: cordon it and remove its provider claim')
    .requiredOption('--node <name>', 'Kubernetes node name')
    .option('--region <region>', 'region of the node (informational)')
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the region (default: $KUBECONFIG or ~/.kube/config)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (o: { node: string; kubeconfig?: string; json?: boolean }) => {
      const r = await leaveNode(coreApi(o.kubeconfig), { node: o.node });
      output(o.json === true).result({ ...r, left: true }, [
        `node ${r.node} cordoned and withdrawn; running jobs finish, no new ones land`,
      ]);
    });
  return node;
}
