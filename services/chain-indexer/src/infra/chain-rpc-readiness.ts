import { type ReadinessCheck } from '@starminer/service-kit';

interface JsonRpcReply {
  result?: unknown;
  error?: { code?: number; message?: string };
}

/**
 * Ready while the EVM node answers eth_chainId with a chain id. Bounded by `timeoutMs` here as
 * well as by the readiness registry, so a hung node does not pile up open requests.
 */
export function chainRpcReadinessCheck(rpcUrl: string, timeoutMs = 2_000): ReadinessCheck {
  return {
    name: 'chain-rpc',
    async check() {
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`eth_chainId: HTTP ${res.status}`);
      const reply = (await res.json()) as JsonRpcReply;
      if (reply.error)
        throw new Error(`eth_chainId: JSON-RPC error ${reply.error.code}: ${reply.error.message}`);
      if (typeof reply.result !== 'string' || !/^0x[0-9a-f]+$/i.test(reply.result)) {
        throw new Error(`eth_chainId: unexpected result ${JSON.stringify(reply.result)}`);
      }
    },
  };
}
