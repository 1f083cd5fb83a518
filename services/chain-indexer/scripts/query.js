#!/usr/bin/env node
// Queries a running chain-indexer over gRPC and prints the answer as JSON (a grpcurl stand-in that
// needs nothing beyond the repository). Build first: `npm run build`.
//
//   npm run query -w @starminer/chain-indexer -- escrow <jobId|0xbytes32>
//   npm run query -w @starminer/chain-indexer -- stake <address>
//   npm run query -w @starminer/chain-indexer -- provider <address>
//   npm run query -w @starminer/chain-indexer -- balances <address>
//   npm run query -w @starminer/chain-indexer -- flows-by-address <address> [--page-size N] [--page-token T] [--newest-first]
//   npm run query -w @starminer/chain-indexer -- flows-by-job <jobId> [--page-size N] [--page-token T] [--newest-first]
//
// Target: --addr host:port, else CHAIN_INDEXER_GRPC (default 127.0.0.1:9096).
'use strict';
const grpc = require('@grpc/grpc-js');
const { chainIndexerV1 } = require('@starminer/proto');

function usage(msg) {
  if (msg) process.stderr.write(`error: ${msg}\n`);
  process.stderr.write(
    'usage: query <escrow|stake|provider|balances|flows-by-address|flows-by-job> <id> [--addr host:port] [--page-size N] [--page-token T] [--newest-first]\n',
  );
  process.exit(2);
}

function parse(argv) {
  const out = { positional: [], pageSize: 0, pageToken: '', newestFirst: false, addr: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--page-size') out.pageSize = Number(argv[++i]);
    else if (a === '--page-token') out.pageToken = argv[++i] ?? '';
    else if (a === '--newest-first') out.newestFirst = true;
    else if (a === '--addr') out.addr = argv[++i];
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else out.positional.push(a);
  }
  return out;
}

function main() {
  const args = parse(process.argv.slice(2));
  const [what, id] = args.positional;
  if (!what || !id) usage();
  const addr = args.addr ?? process.env.CHAIN_INDEXER_GRPC ?? '127.0.0.1:9096';
  const client = new chainIndexerV1.ChainIndexerServiceClient(
    addr,
    grpc.credentials.createInsecure(),
  );
  const page = {
    pageSize: args.pageSize,
    pageToken: args.pageToken,
    newestFirst: args.newestFirst,
  };
  const v1 = chainIndexerV1;
  // [method, request, response type whose toJSON names enums and keeps 64-bit values exact]
  const calls = {
    escrow: ['getEscrow', { jobId: id }, v1.GetEscrowResponse],
    stake: ['getStake', { provider: id }, v1.GetStakeResponse],
    provider: ['getProvider', { account: id }, v1.GetProviderResponse],
    balances: ['getBalances', { address: id }, v1.GetBalancesResponse],
    'flows-by-address': [
      'listTokenFlowsByAddress',
      { address: id, ...page },
      v1.ListTokenFlowsByAddressResponse,
    ],
    'flows-by-job': ['listTokenFlowsByJob', { jobId: id, ...page }, v1.ListTokenFlowsByJobResponse],
  };
  const call = calls[what];
  if (!call) usage(`unknown query ${what}`);
  const [method, request, type] = call;
  client[method](request, { deadline: Date.now() + 10_000 }, (err, res) => {
    client.close();
    if (err) {
      process.stderr.write(`${grpc.status[err.code] ?? err.code}: ${err.details}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify(type.toJSON(res), null, 2)}\n`);
  });
}

main();
