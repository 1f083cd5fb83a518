import { type MarketReads, type MarketWrites, type RegisteredNode, type TierPrice } from './ports';

const nodeKey = (region: string, node: string) => `${region}/${node}`;
const tierKey = (p: Pick<TierPrice, 'product' | 'region' | 'urgency'>) =>
  `${p.product}/${p.region}/${p.urgency}`;

/** The capacity read model in memory: nodes, providers and tier prices, as the SQL keeps them. */
export class InMemoryMarket implements MarketReads, MarketWrites {
  readonly nodeRows = new Map<string, RegisteredNode>();
  readonly providerRows = new Map<string, boolean>();
  readonly priceRows = new Map<string, TierPrice>();

  /** Given: a node announced with `gpus` GPUs of `product`, its provider active. */
  withNode(n: Partial<RegisteredNode> & Pick<RegisteredNode, 'region' | 'node'>): this {
    const node: RegisteredNode = {
      provider: '0xp',
      pool: 'h100-a',
      product: 'NVIDIA-H100-80GB-HBM3',
      memoryMiB: 81_920,
      gpus: 8,
      quarantined: false,
      ...n,
    };
    this.nodeRows.set(nodeKey(node.region, node.node), node);
    this.providerRows.set(node.provider, true);
    return this;
  }

  withPrice(price: TierPrice): this {
    this.priceRows.set(tierKey(price), price);
    return this;
  }

  async nodes(): Promise<RegisteredNode[]> {
    return [...this.nodeRows.values()];
  }

  async activeProviders(): Promise<string[]> {
    return [...this.providerRows].filter(([, active]) => active).map(([p]) => p);
  }

  async prices(): Promise<TierPrice[]> {
    return [...this.priceRows.values()];
  }

  async pricesIn(region: string, urgency: number): Promise<TierPrice[]> {
    return [...this.priceRows.values()].filter((p) => p.region === region && p.urgency === urgency);
  }

  async putNode(n: Omit<RegisteredNode, 'quarantined'>): Promise<void> {
    this.nodeRows.set(nodeKey(n.region, n.node), { ...n, quarantined: false });
  }

  async changeNodeCapacity(
    region: string,
    node: string,
    c: { product: string; memoryMiB: number; gpus: number; pool: string },
  ): Promise<void> {
    const n = this.nodeRows.get(nodeKey(region, node));
    if (n) this.nodeRows.set(nodeKey(region, node), { ...n, ...c });
  }

  async setNodeQuarantined(region: string, node: string, quarantined: boolean): Promise<void> {
    const n = this.nodeRows.get(nodeKey(region, node));
    if (n) this.nodeRows.set(nodeKey(region, node), { ...n, quarantined });
  }

  async removeNode(region: string, node: string): Promise<void> {
    this.nodeRows.delete(nodeKey(region, node));
  }

  async setProviderActive(provider: string, active: boolean): Promise<void> {
    this.providerRows.set(provider, active);
  }

  async setPrice(price: TierPrice): Promise<void> {
    this.priceRows.set(tierKey(price), price);
  }
}
