import { JsonRpcProvider, Transaction, Wallet, type TransactionRequest } from 'ethers';
import { decodeContractError, revertData } from '@starminer/chain';
import { type Tx } from '@starminer/eventing';
import { type SentTxState } from '../domain/settlement';

/** A transaction the signer stored before broadcasting it (settlement_txs). */
export interface StoredTx {
  tx_hash: string;
  nonce: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  raw: string;
  sent_at: Date;
}

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/**
 * The signing key and what every signed transaction needs: the shared nonce counter, fees,
 * a simulation before the first send, storage before broadcast and the state of what was sent.
 * Settlements and reward roots both sign through it, so they share one key and one nonce
 * sequence. `subject` names what a transaction is for (a job id, or 'reward-root:<epoch>').
 * With replicas, `fence` is the `chain-signer` lease's: nothing is signed in a transaction that
 * a deposed signer could still commit.
 */
export class SignerWallet {
  readonly provider: JsonRpcProvider;
  readonly wallet: Wallet;

  constructor(
    private readonly s: string,
    rpcUrl: string,
    private readonly chainId: number,
    privateKey: string,
    private readonly fence: (tx: Tx) => Promise<void> = async () => undefined,
  ) {
    this.provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 });
    this.wallet = new Wallet(privateKey, this.provider);
  }

  get address(): string {
    return this.wallet.address;
  }

  /** The contract's reason to refuse `data` from this key now, or undefined if it would pass. */
  async refusal(to: string, data: string): Promise<string | undefined> {
    try {
      await this.provider.call({ from: this.wallet.address, to, data });
      return undefined;
    } catch (err) {
      const decoded = decodeContractError(err);
      if (decoded) return `${decoded.name}(${decoded.args.map(String).join(', ')})`;
      if (revertData(err) !== undefined) return `reverted: ${(err as Error).message}`;
      throw err; // not a revert: the node is unreachable or similar, retry next pass
    }
  }

  /** Signs and stores a transaction in `tx`; broadcast it only after `tx` commits. */
  async signAndStore(
    tx: Tx,
    subject: string,
    req: { to: string; data: string; nonce: number; gasLimit: bigint; fees: Fees },
  ): Promise<{ raw: string; hash: string }> {
    await this.fence(tx);
    const request: TransactionRequest = {
      type: 2,
      chainId: this.chainId,
      to: req.to,
      data: req.data,
      nonce: req.nonce,
      gasLimit: req.gasLimit,
      ...req.fees,
    };
    const raw = await this.wallet.signTransaction(request);
    const hash = Transaction.from(raw).hash!;
    await tx.query(
      `INSERT INTO ${this.s}.settlement_txs (tx_hash, job_id, nonce, max_fee_per_gas, max_priority_fee_per_gas, raw)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        hash,
        subject,
        req.nonce,
        req.fees.maxFeePerGas.toString(),
        req.fees.maxPriorityFeePerGas.toString(),
        raw,
      ],
    );
    return { raw, hash };
  }

  /** Broadcasts stored bytes; true when the node took them (or already had them). */
  async broadcast(raw: string, onFailure: (msg: string) => void): Promise<boolean> {
    try {
      await this.provider.send('eth_sendRawTransaction', [raw]);
      return true;
    } catch (err) {
      const msg = (err as Error).message;
      // Already known or already mined (nonce too low): the earlier broadcast got through.
      if (/already known|nonce too low|known transaction/i.test(msg)) return false;
      onFailure(msg);
      return false;
    }
  }

  async lastTx(tx: Tx, subject: string): Promise<StoredTx | undefined> {
    const r = await tx.query<StoredTx>(
      `SELECT tx_hash, nonce, max_fee_per_gas, max_priority_fee_per_gas, raw, sent_at FROM ${this.s}.settlement_txs
        WHERE job_id = $1 ORDER BY sent_at DESC, max_fee_per_gas DESC LIMIT 1`,
      [subject],
    );
    return r.rows[0];
  }

  async txState(last: StoredTx | undefined): Promise<SentTxState> {
    if (!last) return 'none';
    const receipt = await this.provider.getTransactionReceipt(last.tx_hash);
    if (receipt) return receipt.status === 1 ? 'mined' : 'reverted';
    const known = await this.provider.getTransaction(last.tx_hash);
    return known ? 'pending' : 'unknown';
  }

  /** Next nonce: the stored counter, or the chain's pending count if that is higher. */
  async takeNonce(tx: Tx): Promise<number> {
    const chain = await this.provider.getTransactionCount(this.wallet.address, 'pending');
    const r = await tx.query<{ next_nonce: string }>(
      `INSERT INTO ${this.s}.signer_nonce (address, next_nonce) VALUES ($1, $2)
       ON CONFLICT (address) DO UPDATE SET next_nonce = GREATEST(${this.s}.signer_nonce.next_nonce, EXCLUDED.next_nonce)
       RETURNING next_nonce`,
      [this.wallet.address.toLowerCase(), chain],
    );
    const nonce = Number(r.rows[0]!.next_nonce);
    await tx.query(`UPDATE ${this.s}.signer_nonce SET next_nonce = $2 WHERE address = $1`, [
      this.wallet.address.toLowerCase(),
      nonce + 1,
    ]);
    return nonce;
  }

  async fees(): Promise<Fees> {
    const f = await this.provider.getFeeData();
    const maxPriorityFeePerGas = f.maxPriorityFeePerGas ?? 1_000_000_000n;
    const maxFeePerGas = f.maxFeePerGas ?? (f.gasPrice ?? 1_000_000_000n) * 2n;
    return { maxFeePerGas, maxPriorityFeePerGas };
  }

  destroy(): void {
    this.provider.destroy();
  }
}
