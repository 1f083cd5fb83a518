import { quoteSchema, type Tx } from '@starminer/eventing';
import { type Pool } from 'pg';
import { type ProviderMirror } from '../../app/ports';
import { type ProviderState } from '../../domain/provider';

interface ProviderRow {
  address: string;
  registered: boolean;
  bonded: string;
  min_stake: string;
  slash_pending: boolean;
  slash_block: string;
  stake_block: string;
  active: boolean;
  inactive_reason: ProviderState['inactiveReason'];
  checked_at: Date;
}

function toState(r: ProviderRow): ProviderState {
  return {
    address: r.address,
    registered: r.registered,
    bonded: BigInt(r.bonded),
    minStake: BigInt(r.min_stake),
    slashPending: r.slash_pending,
    slashBlock: Number(r.slash_block),
    stakeBlock: Number(r.stake_block),
    active: r.active,
    inactiveReason: r.inactive_reason,
    checkedAt: r.checked_at,
  };
}

/** The providers table: reads through the pool, or (with `tx`) inside the caller's transaction. */
export class ProviderRepository implements ProviderMirror {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  /** Reads (and with `tx`, row-locks) one provider. */
  async get(address: string, tx?: Tx): Promise<ProviderState | undefined> {
    const { rows } = await (tx ?? this.pool).query<ProviderRow>(
      `SELECT * FROM ${this.s}.providers WHERE address = $1${tx ? ' FOR UPDATE' : ''}`,
      [address.toLowerCase()],
    );
    return rows[0] && toState(rows[0]);
  }

  async list(): Promise<ProviderState[]> {
    const { rows } = await this.pool.query<ProviderRow>(`SELECT * FROM ${this.s}.providers`);
    return rows.map(toState);
  }

  async activeAddresses(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ address: string }>(
      `SELECT address FROM ${this.s}.providers WHERE active`,
    );
    return new Set(rows.map((r) => r.address));
  }

  async save(tx: Tx, p: ProviderState): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.s}.providers (address, registered, bonded, min_stake, slash_pending, slash_block,
         stake_block, active, inactive_reason, checked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (address) DO UPDATE SET registered = $2, bonded = $3, min_stake = $4,
         slash_pending = $5, slash_block = $6, stake_block = $7, active = $8, inactive_reason = $9,
         checked_at = $10`,
      [
        p.address,
        p.registered,
        p.bonded.toString(),
        p.minStake.toString(),
        p.slashPending,
        p.slashBlock,
        p.stakeBlock,
        p.active,
        p.inactiveReason,
        p.checkedAt,
      ],
    );
  }
}
