#!/usr/bin/env node
// Prints kwok Node manifests (a v1 List, JSON) for the GPU pools of deploy/local/gpu-nodes.yaml.
//   gpu-nodes.js region <region>               every node of the region's pools
//   gpu-nodes.js node <region> <pool> <index>  one node of a pool (a node operator joining)
// Nodes carry what the NVIDIA device plugin and GPU feature discovery would set
// (capacity nvidia.com/gpu, nvidia.com/gpu.* labels, the GPU taint) plus StarMiner's
// region, pool and provider labels (docs/ARCHITECTURE.md, compute layer).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const specFile = process.env.GPU_NODES_FILE || path.join(__dirname, '..', 'gpu-nodes.yaml');

function fail(msg) {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
}

function loadSpec() {
  const spec = YAML.parse(fs.readFileSync(specFile, 'utf8'));
  for (const p of spec.pools) {
    if (!spec.products[p.product])
      fail(`${specFile}: pool ${p.pool} names unknown product ${p.product}`);
    if (!spec.providers[p.provider])
      fail(`${specFile}: pool ${p.pool} names unknown provider ${p.provider}`);
  }
  return spec;
}

function nodeName(pool, index) {
  return `${pool.region}-${pool.pool}-${index}`;
}

function nodeManifest(spec, pool, index) {
  const product = spec.products[pool.product];
  const name = nodeName(pool, index);
  const resources = {
    cpu: String(pool.cpu),
    memory: String(pool.memory),
    pods: '110',
    'nvidia.com/gpu': String(pool.gpusPerNode),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      // kwok manages (simulates) only nodes with this annotation.
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/region': pool.region,
        'starminer.io/region': pool.region,
        'starminer.io/pool': pool.pool,
        'starminer.io/provider': spec.providers[pool.provider],
        'nvidia.com/gpu.present': 'true',
        'nvidia.com/gpu.product': product.label,
        'nvidia.com/gpu.memory': String(product.memoryMiB),
        'nvidia.com/gpu.count': String(pool.gpusPerNode),
        'nvidia.com/gpu.family': product.family,
      },
    },
    spec: {
      taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
    },
    status: { capacity: resources, allocatable: resources },
  };
}

function main(argv) {
  const spec = loadSpec();
  const [cmd, region, poolName, index] = argv;
  let items;
  if (cmd === 'region' && region) {
    items = spec.pools
      .filter((p) => p.region === region)
      .flatMap((p) => Array.from({ length: p.nodes }, (_, i) => nodeManifest(spec, p, i)));
  } else if (cmd === 'node' && region && poolName && index !== undefined) {
    const pool = spec.pools.find((p) => p.region === region && p.pool === poolName);
    if (!pool) {
      const known = spec.pools.filter((p) => p.region === region).map((p) => p.pool);
      fail(
        `no pool '${poolName}' in region '${region}' (pools there: ${known.join(', ') || 'none'})`,
      );
    }
    if (!/^\d+$/.test(index)) fail(`node index must be a whole number, got '${index}'`);
    items = [nodeManifest(spec, pool, Number(index))];
  } else {
    fail('usage: gpu-nodes.js region <region> | node <region> <pool> <index>');
  }
  process.stdout.write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2) + '\n');
}

main(process.argv.slice(2));
