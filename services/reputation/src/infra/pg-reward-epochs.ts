import { quoteSchema, type Tx } from '@starminer/eventing';
import { type RewardEpochReader, type RewardEpochStore, type StoredEpoch } from '../app/ports';

type Queryable = Pick<Tx, 'query'>;

interface Row {
  epoch: string;
  root: string;
  total: string;
  tree: string;
  status: 'built' | 'posted';
  post_tx: string;
}
const toEpoch = (r: Row): StoredEpoch => ({
  epoch: BigInt(r.epoch),
  root: r.root,
  total: BigInt(r.total),
  tree: r.tree,
  status: r.status,
  postTx: r.post_tx,
});

/** Epoch trees: written before posting ("built"), marked "posted" once the root is on chain. */
export class PgRewardEpochs implements RewardEpochStore, RewardEpochReader {
  private readonly s: string;
  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  async save(e: Omit<StoredEpoch, 'status' | 'postTx'>): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.s}.reward_epochs (epoch, root, total, tree, status) VALUES ($1, $2, $3, $4, 'built')
       ON CONFLICT (epoch) DO UPDATE SET root = $2, total = $3, tree = $4 WHERE ${this.s}.reward_epochs.status = 'built'`,
      [e.epoch.toString(), e.root, e.total.toString(), e.tree],
    );
  }

  async markPosted(epoch: bigint, postTx: string): Promise<void> {
    await this.db.query(
      `UPDATE ${this.s}.reward_epochs SET status = 'posted', post_tx = $2 WHERE epoch = $1`,
      [epoch.toString(), postTx],
    );
  }

  async get(epoch: bigint): Promise<StoredEpoch | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM ${this.s}.reward_epochs WHERE epoch = $1`,
      [epoch.toString()],
    );
    return rows[0] ? toEpoch(rows[0]) : undefined;
  }

  async latestBuilt(): Promise<StoredEpoch | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM ${this.s}.reward_epochs WHERE status = 'built' ORDER BY epoch DESC LIMIT 1`,
    );
    return rows[0] ? toEpoch(rows[0]) : undefined;
  }

  /** Posted epochs, newest first (for finding the latest one that pays an account). */
  async posted(limit: number): Promise<StoredEpoch[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM ${this.s}.reward_epochs WHERE status = 'posted' ORDER BY epoch DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toEpoch);
  }
}
