import { JsonRpcProvider } from 'ethers';

/**
 * A JSON-RPC provider for the protocol's services and scripts. ethers caches identical reads for
 * 250 ms by default, including the pending nonce, so a wallet sending transactions back to back
 * reuses a nonce; the cache is off here. Polling is fast enough for a dev chain's instant blocks.
 */
export function rpcProvider(
  url: string,
  opts: { pollingIntervalMs?: number } = {},
): JsonRpcProvider {
  return new JsonRpcProvider(url, undefined, {
    cacheTimeout: -1,
    pollingInterval: opts.pollingIntervalMs ?? 1_000,
  });
}
