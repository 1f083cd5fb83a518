// Reference model of the money held by JobEscrow and Staking. Property tests run the same random
// actions against it and against the contracts and compare results after every step.

export type Action =
  | {
      kind: 'fund';
      client: number;
      price: bigint;
      maxGpuSeconds: bigint;
      maxDuration: bigint;
      reuseJob: number | null;
      expired: boolean;
    }
  | { kind: 'settle'; job: number; provider: number; usagePercent: number }
  | { kind: 'refund'; job: number }
  | { kind: 'reclaim'; job: number; byOtherClient: boolean }
  | { kind: 'withdrawCredit'; actor: number }
  | { kind: 'sweepFees' }
  | { kind: 'stake'; provider: number; amount: bigint }
  | { kind: 'unbond'; provider: number; amount: bigint }
  | { kind: 'withdrawStake'; provider: number }
  | { kind: 'slash'; provider: number; amount: bigint; reuseEvidence: boolean }
  | { kind: 'advanceTime'; seconds: number };

export type JobState = 'funded' | 'settled' | 'refunded' | 'reclaimed';

export interface ModelJob {
  jobId: string;
  client: string;
  amount: bigint;
  price: bigint;
  maxGpuSeconds: bigint;
  deadline: bigint;
  state: JobState;
}

export interface ModelStake {
  bonded: bigint;
  unbonding: bigint;
  readyAt: bigint;
  /** lifetime totals, for "slashed + withdrawn <= staked" */
  staked: bigint;
  slashed: bigint;
  withdrawn: bigint;
}

export class MoneyModel {
  readonly jobs: ModelJob[] = [];
  readonly credits = new Map<string, bigint>();
  readonly stakes = new Map<string, ModelStake>();
  readonly balances = new Map<string, bigint>();
  readonly usedEvidence: string[] = [];
  readonly settledJobIds = new Set<string>();
  fees = 0n;
  swept = 0n;

  constructor(
    public now: bigint,
    readonly feeBps: bigint,
    readonly grace: bigint,
    readonly minStake: bigint,
    readonly unbondingDelay: bigint,
    readonly treasury: string,
    initialBalances: Map<string, bigint>,
  ) {
    for (const [a, b] of initialBalances) this.balances.set(a, b);
  }

  escrowed(): bigint {
    return this.jobs.filter((j) => j.state === 'funded').reduce((s, j) => s + j.amount, 0n);
  }

  totalCredits(): bigint {
    return [...this.credits.values()].reduce((s, c) => s + c, 0n);
  }

  stakeOf(provider: string): ModelStake {
    let s = this.stakes.get(provider);
    if (!s) {
      s = { bonded: 0n, unbonding: 0n, readyAt: 0n, staked: 0n, slashed: 0n, withdrawn: 0n };
      this.stakes.set(provider, s);
    }
    return s;
  }

  isActive(provider: string): boolean {
    const b = this.stakeOf(provider).bonded;
    return b > 0n && b >= this.minStake;
  }

  private move(from: string, to: string, amount: bigint): void {
    this.balances.set(from, (this.balances.get(from) ?? 0n) - amount);
    this.balances.set(to, (this.balances.get(to) ?? 0n) + amount);
  }

  private credit(account: string, amount: bigint): void {
    this.credits.set(account, (this.credits.get(account) ?? 0n) + amount);
  }

  // Each apply* returns whether the contract must accept the call, and updates the model if so.
  // The block of the call has timestamp `now`.

  fund(
    client: string,
    escrow: string,
    job: ModelJob,
    expiry: bigint,
    jobIdTaken: boolean,
  ): boolean {
    if (jobIdTaken || expiry < this.now || (this.balances.get(client) ?? 0n) < job.amount)
      return false;
    this.jobs.push({ ...job });
    this.move(client, escrow, job.amount);
    return true;
  }

  settle(job: ModelJob | undefined, provider: string, usage: bigint): boolean {
    if (!job || job.state !== 'funded' || usage > job.maxGpuSeconds || !this.isActive(provider))
      return false;
    const cost = job.price * usage;
    const fee = (cost * this.feeBps) / 10_000n;
    this.credit(provider, cost - fee);
    this.credit(job.client, job.amount - cost);
    this.fees += fee;
    job.state = 'settled';
    this.settledJobIds.add(job.jobId);
    return true;
  }

  refund(job: ModelJob | undefined): boolean {
    if (!job || job.state !== 'funded') return false;
    this.credit(job.client, job.amount);
    job.state = 'refunded';
    return true;
  }

  reclaim(job: ModelJob | undefined, caller: string): boolean {
    if (!job || job.state !== 'funded' || caller !== job.client || this.now < job.deadline)
      return false;
    this.credit(job.client, job.amount);
    job.state = 'reclaimed';
    return true;
  }

  withdrawCredit(account: string, escrow: string): boolean {
    const owed = this.credits.get(account) ?? 0n;
    if (owed === 0n) return false;
    this.credits.set(account, 0n);
    this.move(escrow, account, owed);
    return true;
  }

  sweepFees(escrow: string, rewards: string): boolean {
    if (this.fees === 0n) return false;
    this.move(escrow, rewards, this.fees);
    this.swept += this.fees;
    this.fees = 0n;
    return true;
  }

  stake(provider: string, staking: string, amount: bigint): boolean {
    if (amount === 0n || (this.balances.get(provider) ?? 0n) < amount) return false;
    const s = this.stakeOf(provider);
    s.bonded += amount;
    s.staked += amount;
    this.move(provider, staking, amount);
    return true;
  }

  unbond(provider: string, amount: bigint): boolean {
    const s = this.stakeOf(provider);
    if (amount === 0n || amount > s.bonded) return false;
    s.bonded -= amount;
    s.unbonding += amount;
    s.readyAt = this.now + this.unbondingDelay;
    return true;
  }

  withdrawStake(provider: string, staking: string): boolean {
    const s = this.stakeOf(provider);
    if (s.unbonding === 0n || this.now < s.readyAt) return false;
    this.move(staking, provider, s.unbonding);
    s.withdrawn += s.unbonding;
    s.unbonding = 0n;
    s.readyAt = 0n;
    return true;
  }

  slash(provider: string, staking: string, amount: bigint, evidence: string): boolean {
    const s = this.stakeOf(provider);
    if (amount === 0n || this.usedEvidence.includes(evidence) || amount > s.bonded + s.unbonding)
      return false;
    this.usedEvidence.push(evidence);
    const fromBonded = amount < s.bonded ? amount : s.bonded;
    s.bonded -= fromBonded;
    s.unbonding -= amount - fromBonded;
    s.slashed += amount;
    this.move(staking, this.treasury, amount);
    return true;
  }
}
