import { Command } from 'commander';
import { coreApi } from '../../kube';
import { output } from '../../output';
import { joinNode, leaveNode } from './node-join';

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
    .option('--json', 'print the result as JSON')
    .action(
      async (o: {
        region: string;
        providerKey?: string;
        node: string;
        pool?: string;
        kubeconfig?: string;
        json?: boolean;
      }) => {
        const providerKey = o.providerKey ?? process.env.STARMINER_PROVIDER_KEY ?? '';
        const r = await joinNode(coreApi(o.kubeconfig), {
          region: o.region,
          providerKey,
          node: o.node,
          ...(o.pool ? { pool: o.pool } : {}),
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
