// The demo scenario of `make demo`: deploys the contracts to the local chain, starts the services,
// settles a job's payment on chain and runs a GPU job in every region, then prints a summary.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { Wallet, formatUnits } from 'ethers';
import { devRoleWallet, devWallet, readDeployments, rpcProvider } from '@starminer/chain';
import {
  regionKubeconfig,
  requireStackVar,
  stackRegions,
  stackRunDir,
  waitUntil,
} from '@starminer/testing';
import { fundAndSettle } from '../contracts/examples/fund-and-settle';
import { onboardProviders } from './demo-providers';

const root = path.resolve(__dirname, '..');
const runDir = stackRunDir();
const deploymentsFile = path.join(runDir, 'deployments.json');

function step(msg: string): void {
  console.log(`\n== ${msg}`);
}

function deployContracts(): void {
  step('deploying the StarMiner contracts to the local chain');
  execFileSync(
    'npm',
    ['run', '--silent', 'deploy', '-w', '@starminer/contracts', '--', '--out', deploymentsFile],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, CHAIN_RPC_URL: requireStackVar('CHAIN_RPC_URL') },
    },
  );
}

function startServices(): void {
  step('starting the services');
  execFileSync('bash', [path.join(root, 'deploy/local/services.sh'), 'start'], {
    stdio: 'inherit',
  });
  execFileSync('bash', [path.join(root, 'deploy/local/services.sh'), 'status'], {
    stdio: 'inherit',
  });
}

async function settleOnChain(): Promise<string[]> {
  step('a client funds a job against a signed quote; the settler settles 1,800 GPU-seconds');
  const provider = rpcProvider(requireStackVar('CHAIN_RPC_URL'));
  const signer = (w: { privateKey: string }) => new Wallet(w.privateKey, provider);
  try {
    const r = await fundAndSettle(readDeployments(deploymentsFile), {
      client: signer(devWallet(16)),
      provider: signer(devWallet(17)),
      pricing: signer(devRoleWallet('quoteSigner')),
      settler: signer(devRoleWallet('settler')),
    });
    return [
      `job ${r.jobId}`,
      `provider credited and withdrew ${formatUnits(r.providerPaid, 18)} AGPU`,
      `client refunded ${formatUnits(r.clientRefund, 18)} AGPU`,
    ];
  } finally {
    provider.destroy();
  }
}

interface RegionRun {
  region: string;
  product: string;
  node: string;
  provider: string;
  seconds: number;
}

async function runGpuJob(region: string): Promise<RegionRun> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(regionKubeconfig(region));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const nodes = await core.listNode({ labelSelector: 'nvidia.com/gpu.present=true' });
  const product = nodes.items[0]!.metadata!.labels!['nvidia.com/gpu.product']!;
  const name = `demo-${randomUUID().slice(0, 8)}`;
  await batch.createNamespacedJob({
    namespace: 'default',
    body: {
      metadata: { name, labels: { 'starminer.io/demo': 'true' } },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 600,
        template: {
          metadata: { annotations: { 'starminer.io/sim-runtime': '3s' } },
          spec: {
            restartPolicy: 'Never',
            nodeSelector: { 'nvidia.com/gpu.product': product },
            tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [
              {
                name: 'inference',
                image: 'ghcr.io/starminer/stable-diffusion:1',
                resources: { limits: { 'nvidia.com/gpu': '1' } },
              },
            ],
          },
        },
      },
    },
  });
  const job = await waitUntil(`GPU job ${name} in ${region} to complete`, async () => {
    const j = await batch.readNamespacedJob({ name, namespace: 'default' });
    return j.status?.succeeded ? j : undefined;
  });
  const pods = await core.listNamespacedPod({
    namespace: 'default',
    labelSelector: `job-name=${name}`,
  });
  const nodeName = pods.items[0]!.spec!.nodeName!;
  const node = await core.readNode({ name: nodeName });
  const started = new Date(job.status!.startTime!).getTime();
  const finished = new Date(job.status!.completionTime!).getTime();
  return {
    region,
    product,
    node: nodeName,
    provider: node.metadata!.labels!['starminer.io/provider']!,
    seconds: Math.round((finished - started) / 1000),
  };
}

async function onboard(): Promise<string[]> {
  step('providers register and stake on chain; node operators join their GPU nodes');
  const chain = rpcProvider(requireStackVar('CHAIN_RPC_URL'));
  try {
    const lines = await onboardProviders(readDeployments(deploymentsFile), chain);
    for (const line of lines) console.log(`  ${line}`);
    return lines;
  } finally {
    chain.destroy();
  }
}

async function main(): Promise<void> {
  deployContracts();
  await onboard();
  startServices();
  const money = await settleOnChain();
  step('one GPU job per region, placed by the real kube-scheduler on a simulated GPU node');
  const runs = await Promise.all(stackRegions().map(runGpuJob));

  step('summary');
  for (const line of money) console.log(`  ${line}`);
  console.table(runs);
  console.log(
    `\nServices keep running (logs in ${runDir}/logs). Stop everything with 'make down'.`,
  );
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
