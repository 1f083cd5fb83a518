import { type CapacityFilter, type PoolCapacity, summarizeCapacity } from '../../domain/inventory';
import { type NodeRecord, type NodeStatus } from '../../domain/node';
import { type ProviderState } from '../../domain/provider';
import { type NodeInventory, type ProviderMirror } from '../ports';

export interface NodePage {
  nodes: NodeRecord[];
  nextPageToken: string;
}

/** The inventory read model's queries: GetCapacity, ListNodes, GetProvider. */
export class QueryInventoryHandler {
  constructor(
    private readonly nodes: NodeInventory,
    private readonly providers: ProviderMirror,
  ) {}

  async capacity(filter: CapacityFilter): Promise<PoolCapacity[]> {
    const [nodes, active] = await Promise.all([
      this.nodes.list({ ...(filter.region ? { region: filter.region } : {}), status: 'admitted' }),
      this.providers.activeAddresses(),
    ]);
    return summarizeCapacity(nodes, active, filter);
  }

  async listNodes(q: {
    region?: string;
    provider?: string;
    pool?: string;
    status?: NodeStatus;
    pageSize: number;
    pageToken?: string;
  }): Promise<NodePage> {
    const after = q.pageToken ? decodeToken(q.pageToken) : undefined;
    const size = Math.min(Math.max(q.pageSize || 500, 1), 5_000);
    const rows = await this.nodes.list({ ...q, ...(after ? { after } : {}), limit: size + 1 });
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    return { nodes: page, nextPageToken: rows.length > size && last ? encodeToken(last) : '' };
  }

  async provider(
    address: string,
  ): Promise<{ state: ProviderState; admittedNodes: number } | undefined> {
    const state = await this.providers.get(address);
    if (!state) return undefined;
    const admitted = await this.nodes.list({ provider: address, status: 'admitted' });
    return { state, admittedNodes: admitted.length };
  }
}

function encodeToken(n: { region: string; name: string }): string {
  return Buffer.from(JSON.stringify([n.region, n.name])).toString('base64url');
}

export class InvalidPageTokenError extends Error {}

function decodeToken(token: string): { region: string; name: string } {
  try {
    const [region, name] = JSON.parse(Buffer.from(token, 'base64url').toString()) as [
      string,
      string,
    ];
    if (typeof region === 'string' && typeof name === 'string') return { region, name };
  } catch {
    // reported below
  }
  throw new InvalidPageTokenError(`page_token '${token}' is not one this server returned`);
}
