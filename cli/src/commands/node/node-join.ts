import * as k8s from '@kubernetes/client-node';
import {
  NodeAnnotations,
  NodeLabels,
  NODE_IDENTITY_VERSION,
  signNodeIdentity,
} from '@starminer/node-identity';
import { Wallet } from 'ethers';
import { CliError, ExitCode, KUBERNETES_EXIT } from '../../errors';
import { kubeError } from '../../kube';

export interface JoinOptions {
  region: string;
  providerKey: string;
  node: string;
  pool?: string;
  /** `deploymentNodeLabel` of the deployment joined: set on the node so no other deployment's registry claims it. */
  deployment?: string;
}

export interface JoinResult {
  node: string;
  uid: string;
  region: string;
  provider: string;
  pool: string;
  signature: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function wallet(key: string): Wallet {
  const hex = key.startsWith('0x') ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new CliError(
      '--provider-key must be a 32-byte hex private key (64 hex digits, 0x optional)',
      ExitCode.usage,
    );
  return new Wallet(hex);
}

/** Default pool: the one the node already names, else derived from its GPU product. */
function defaultPool(node: k8s.V1Node): string | undefined {
  const labels = node.metadata?.labels ?? {};
  if (labels[NodeLabels.pool]) return labels[NodeLabels.pool];
  const product = labels[NodeLabels.gpuProduct];
  return product
    ? product
        .toLowerCase()
        .replace(/^nvidia-/, '')
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 63)
    : undefined;
}

/**
 * Claims a Kubernetes node for a provider: labels it with the region, provider and pool and
 * annotates it with the provider's signature over (node name, node uid, region, provider). The
 * registry admits the node once it has checked the signature, the provider's stake on chain and
 * that the labels agree with the node's GPU capacity.
 */
export async function joinNode(core: k8s.CoreV1Api, o: JoinOptions): Promise<JoinResult> {
  if (!DNS_LABEL.test(o.region))
    throw new CliError(
      `--region '${o.region}' is not a region name (lower-case letters, digits, '-')`,
      ExitCode.usage,
    );
  if (o.pool !== undefined && !DNS_LABEL.test(o.pool))
    throw new CliError(
      `--pool '${o.pool}' is not a DNS label (lower-case letters, digits, '-', at most 63)`,
      ExitCode.usage,
    );
  const key = wallet(o.providerKey);
  let node: k8s.V1Node;
  try {
    node = await core.readNode({ name: o.node });
  } catch (err) {
    throw kubeError(`node ${o.node}`, err);
  }
  const uid = node.metadata?.uid;
  if (!uid) throw new CliError(`node ${o.node} has no uid`, KUBERNETES_EXIT);
  const pool = o.pool ?? defaultPool(node);
  if (!pool)
    throw new CliError(
      `node ${o.node} has no ${NodeLabels.gpuProduct} label to name a pool after: pass --pool`,
      ExitCode.usage,
    );
  const provider = key.address.toLowerCase();
  const signature = await signNodeIdentity(key, { node: o.node, uid, region: o.region, provider });
  const body = {
    metadata: {
      labels: {
        [NodeLabels.region]: o.region,
        [NodeLabels.provider]: provider,
        [NodeLabels.pool]: pool,
        ...(o.deployment ? { [NodeLabels.deployment]: o.deployment } : {}),
      },
      annotations: {
        [NodeAnnotations.signature]: signature,
        [NodeAnnotations.identityVersion]: NODE_IDENTITY_VERSION,
      },
    },
  };
  try {
    await core.patchNode(
      { name: o.node, body },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  } catch (err) {
    throw kubeError(`labelling node ${o.node}`, err);
  }
  return { node: o.node, uid, region: o.region, provider, pool, signature };
}

/** Withdraws a node: cordons it and removes the provider claim, so the registry lets it leave. */
export async function leaveNode(
  core: k8s.CoreV1Api,
  o: { node: string },
): Promise<{ node: string }> {
  const body = {
    spec: { unschedulable: true },
    metadata: {
      labels: {
        [NodeLabels.provider]: null,
        [NodeLabels.pool]: null,
        [NodeLabels.deployment]: null,
      },
      annotations: { [NodeAnnotations.signature]: null, [NodeAnnotations.identityVersion]: null },
    },
  };
  try {
    await core.patchNode(
      { name: o.node, body },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  } catch (err) {
    throw kubeError(`node ${o.node}`, err);
  }
  return { node: o.node };
}
