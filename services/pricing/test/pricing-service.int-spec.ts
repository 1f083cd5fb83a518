// The pricing service against the local stack: node and job events published to Kafka move the
// price book, PriceUpdated events reach starminer.market.v1, the index pages, and quotes the
// service signs fund a freshly deployed JobEscrow, while expired, tampered and replayed ones
// are rejected by the contract with its custom errors.
import { randomUUID } from 'node:crypto';
import { type ContractTransactionResponse } from 'ethers';
import { decodeContractError, type Quote } from '@starminer/chain';
import {
  Topics,
  decodeEnvelope,
  jobEvents,
  marketEvents,
  nodeEvents,
  type Consumer,
} from '@starminer/eventing';
import { commonV1, eventsV1, pricingV1 } from '@starminer/proto';
import { requireStackVar, waitUntil } from '@starminer/testing';
import { verifyIndex } from '../src/app/verify-index/verify-index';
import { DEFAULT_POLICY, neutralPrice, parsePolicy } from '../src/domain/policy';
import { mtpStrategy } from '../src/domain/strategy';
import { EngineRepository } from '../src/infra/engine-repository';
import { PriceIndexRepository } from '../src/infra/price-index-repository';
import { deployFreshProtocol, type FreshProtocol } from './support/fresh-protocol';
import { call, startPricing, type Harness } from './support/pricing-harness';

const id = `${process.pid}_${Date.now().toString(36)}`;
// A region no other suite uses: only this suite's events touch its tiers.
const region = `it-${id.replace(/_/g, '-')}`;
const H100 = 'NVIDIA-H100-80GB-HBM3';
const NORMAL = commonV1.Urgency.URGENCY_NORMAL;

let chain: FreshProtocol;
let pricing: Harness;
let marketConsumer: Consumer;
const priceUpdates: eventsV1.PriceUpdated[] = [];

async function expectRevert(tx: Promise<ContractTransactionResponse>, name: string): Promise<void> {
  let caught: unknown;
  try {
    await (await tx).wait();
  } catch (err) {
    caught = err;
  }
  if (caught === undefined)
    throw new Error(`expected revert ${name}, but the transaction succeeded`);
  expect(decodeContractError(caught)?.name).toBe(name);
}

const book = (r = region) =>
  call<pricingV1.GetPriceBookRequest, pricingV1.GetPriceBookResponse>(
    pricing.client,
    'getPriceBook',
    { region: r },
  );

const priceOf = async (
  gpuClass: string,
  urgency: commonV1.Urgency,
): Promise<bigint | undefined> => {
  const b = await book();
  const p = b.prices.find((x) => x.tier?.gpuClass === gpuClass && x.tier.urgency === urgency);
  return p ? BigInt(p.pricePerGpuSecond!.baseUnits) : undefined;
};

function quoteRequest(over: Partial<pricingV1.QuoteRequest> = {}): pricingV1.QuoteRequest {
  return {
    jobId: randomUUID(),
    client: chain.client.address,
    gpu: { product: H100, count: 2, minVramMib: 0 },
    urgency: NORMAL,
    regionPreference: [region],
    maxDurationSeconds: 600,
    ...over,
  };
}

async function quote(req: pricingV1.QuoteRequest): Promise<pricingV1.QuoteResponse> {
  return call<pricingV1.QuoteRequest, pricingV1.QuoteResponse>(pricing.client, 'quote', req);
}

/** The offer in this suite's region, as the escrow's Quote struct and signature. */
async function signedOffer(
  req = quoteRequest(),
): Promise<{ quote: Quote; signature: string; offer: pricingV1.Offer }> {
  const res = await quote(req);
  if (res.result?.$case !== 'offers') throw new Error(`no offers: ${JSON.stringify(res.result)}`);
  const offer = res.result.value.offers[0]!;
  expect(offer.tier?.region).toBe(region);
  const q = offer.quote!;
  return {
    offer,
    signature: `0x${Buffer.from(q.signature).toString('hex')}`,
    quote: {
      jobId: q.jobId,
      client: q.client,
      pricePerGpuSecond: BigInt(q.pricePerGpuSecond!.baseUnits),
      maxGpuSeconds: BigInt(q.maxGpuSeconds),
      tier: q.tier,
      maxDuration: BigInt(q.maxDuration),
      expiry: BigInt(q.expiry),
      nonce: BigInt(q.nonce),
    },
  };
}

beforeAll(async () => {
  chain = await deployFreshProtocol(requireStackVar('CHAIN_RPC_URL'));
  pricing = await startPricing({
    id,
    deploymentsFile: chain.deploymentsFile,
    pricingKey: chain.pricingKey.privateKey,
    policy:
      'version: 1\nname: it\nintervalSeconds: 1\nmaxStepBps: 2000\nquoteValiditySeconds: 10\n',
  });
  marketConsumer = pricing.bus.consumer({
    groupId: `pricing-it-market-${id}`,
    fromBeginning: true,
  });
  await marketConsumer.start([Topics.market], async (batch) => {
    for (const m of batch.messages) {
      if (!m.value) continue;
      const env = decodeEnvelope(marketEvents, m.value);
      if (env.type === 'PriceUpdated') {
        const e = env.event as eventsV1.PriceUpdated & { type: 'PriceUpdated' };
        if (e.tier?.region === region) priceUpdates.push(e);
      }
    }
    const last = batch.messages.at(-1);
    if (last) await batch.commit(last.offset);
  });
  await waitUntil('the pricing service to be ready', async () => {
    const r = await fetch(`http://127.0.0.1:${pricing.service.httpPort}/readyz`);
    return r.status === 200 ? true : undefined;
  });
  // Supply: one 8-GPU H100 node in the suite's region.
  await pricing.publish(nodeEvents, `${region}/h100-0`, {
    type: 'NodeJoined',
    ...eventsV1.NodeJoined.fromPartial({
      region,
      node: 'h100-0',
      provider: '0x976ea74026e726554db657fa54763abd0c3a0aa9',
      pool: 'h100-a',
      gpus: { product: H100, count: 8, memoryMib: 81559 },
    }),
  });
});

afterAll(async () => {
  await marketConsumer?.stop();
  await pricing?.stop();
  chain?.provider.destroy();
});

describe('the price book', () => {
  it('prices the tiers of a pool once a node joins, and moves them up when demand exceeds supply', async () => {
    const neutral = neutralPrice(DEFAULT_POLICY, 'H100-80GB', 'normal');
    await waitUntil('the new pool to be priced', () => priceOf('H100-80GB', NORMAL), {
      timeoutMs: 30_000,
    });
    // Demand: 8 jobs x 2 GPUs queued or running on 8 GPUs, 200 % against a target of 80 %.
    for (let i = 0; i < 8; i++) {
      const jobId = randomUUID();
      const gpu = { product: H100, count: 2, minVramMib: 0 };
      await pricing.publish(jobEvents, jobId, {
        type: 'JobQueued',
        ...eventsV1.JobQueued.fromPartial({
          jobId,
          clientId: 'it',
          tier: { gpuProduct: H100, region, urgency: NORMAL },
          gpu,
        }),
      });
      if (i < 4)
        await pricing.publish(jobEvents, jobId, {
          type: 'JobMatched',
          ...eventsV1.JobMatched.fromPartial({
            jobId,
            clientId: 'it',
            placement: { region, pool: 'h100-a' },
            gpu,
            attempt: 1,
            node: 'h100-0',
          }),
        });
    }
    const risen = await waitUntil(
      'the H100 normal price to rise above neutral',
      async () => {
        const p = await priceOf('H100-80GB', NORMAL);
        return p !== undefined && p > neutral ? p : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(risen).toBeGreaterThan(neutral);
    // Urgency orders the tiers of the pool.
    const prices = await Promise.all(
      [
        commonV1.Urgency.URGENCY_LOW,
        NORMAL,
        commonV1.Urgency.URGENCY_HIGH,
        commonV1.Urgency.URGENCY_CRITICAL,
      ].map((u) => priceOf('H100-80GB', u)),
    );
    expect([...prices].sort((a, b) => (a! < b! ? -1 : 1))).toEqual(prices);
  });

  it('publishes every change as PriceUpdated on starminer.market.v1', async () => {
    const update = await waitUntil(
      'a PriceUpdated above the previous price for the suite region',
      () =>
        priceUpdates.find(
          (u) =>
            u.tier?.gpuProduct === H100 &&
            u.tier.urgency === NORMAL &&
            BigInt(u.pricePerGpuSecond!.baseUnits) >
              BigInt(u.previousPricePerGpuSecond!.baseUnits) &&
            BigInt(u.previousPricePerGpuSecond!.baseUnits) > 0n,
        ),
      { timeoutMs: 30_000 },
    );
    expect(update.strategy).toBe('mtp@it');
    expect(update.freeGpus).toBeLessThanOrEqual(8);
  });

  it('pages the history of a tier, oldest first, with the price book version counting changes', async () => {
    const tier = { gpuClass: 'H100-80GB', region, urgency: NORMAL };
    const seen: pricingV1.PricePoint[] = [];
    let pageToken = '';
    do {
      const page = await call<pricingV1.GetPriceHistoryRequest, pricingV1.GetPriceHistoryResponse>(
        pricing.client,
        'getPriceHistory',
        { tier, from: undefined, to: undefined, pageSize: 1, pageToken },
      );
      expect(page.points.length).toBeLessThanOrEqual(1);
      seen.push(...page.points);
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.previousPricePerGpuSecond).toEqual(seen[i - 1]!.pricePerGpuSecond);
      expect(Date.parse(seen[i]!.at!)).toBeGreaterThanOrEqual(Date.parse(seen[i - 1]!.at!));
    }
    await expect(
      call(pricing.client, 'getPriceHistory', { tier, pageSize: 1, pageToken: 'nonsense' }),
    ).rejects.toMatchObject({ code: 3, details: expect.stringContaining('page_token') });
  });
});

describe('quotes', () => {
  it('explains an infeasible spec instead of quoting it', async () => {
    const unknown = await quote(
      quoteRequest({ gpu: { product: 'NVIDIA-B200', count: 1, minVramMib: 0 } }),
    );
    expect(unknown.result).toEqual({
      $case: 'infeasible',
      value: {
        reason: pricingV1.InfeasibleReason.INFEASIBLE_REASON_UNKNOWN_GPU_PRODUCT,
        message: expect.stringContaining('not in the GPU catalogue'),
      },
    });
    const tooMany = await quote(quoteRequest({ gpu: { product: H100, count: 64, minVramMib: 0 } }));
    expect(tooMany.result).toMatchObject({
      $case: 'infeasible',
      value: { reason: pricingV1.InfeasibleReason.INFEASIBLE_REASON_TOO_MANY_GPUS },
    });
    await expect(quote(quoteRequest({ client: 'me' }))).rejects.toMatchObject({
      code: 3,
      details: expect.stringContaining('client: expected a 0x-prefixed 20-byte address'),
    });
  });

  it('signs a quote the deployed JobEscrow accepts: the deposit is price x GPUs x duration', async () => {
    const { quote: q, signature, offer } = await signedOffer();
    expect(q.maxGpuSeconds).toBe(2n * 600n);
    expect(BigInt(offer.maxTotal!.baseUnits)).toBe(q.pricePerGpuSecond * q.maxGpuSeconds);
    expect(q.pricePerGpuSecond).toBe(await priceOf('H100-80GB', NORMAL));
    const before = await chain.asClient.agpu.balanceOf(chain.client.address);
    await (await chain.asClient.jobEscrow.fund(q.jobId, q, signature)).wait();
    expect(before - (await chain.asClient.agpu.balanceOf(chain.client.address))).toBe(
      q.pricePerGpuSecond * q.maxGpuSeconds,
    );
  });

  it('is rejected by the contract when replayed, tampered with, or expired', async () => {
    const used = await signedOffer();
    await (
      await chain.asClient.jobEscrow.fund(used.quote.jobId, used.quote, used.signature)
    ).wait();
    await expectRevert(
      chain.asClient.jobEscrow.fund(used.quote.jobId, used.quote, used.signature),
      'JobAlreadyExists',
    );

    const fresh = await signedOffer();
    const cheaper = { ...fresh.quote, pricePerGpuSecond: fresh.quote.pricePerGpuSecond / 2n };
    await expectRevert(
      chain.asClient.jobEscrow.fund(cheaper.jobId, cheaper, fresh.signature),
      'UnauthorizedQuoteSigner',
    );
    // A spent nonce is refused before the signature is even checked.
    const otherNonce = { ...fresh.quote, nonce: used.quote.nonce };
    await expectRevert(
      chain.asClient.jobEscrow.fund(otherNonce.jobId, otherNonce, fresh.signature),
      'QuoteNonceAlreadyUsed',
    );

    const late = await signedOffer();
    // The policy makes quotes valid for 10 s; wait until the chain's next block is past expiry.
    await waitUntil(
      'the quote to expire',
      () => (Date.now() / 1000 > Number(late.quote.expiry) + 1 ? true : undefined),
      {
        timeoutMs: 20_000,
      },
    );
    await expectRevert(
      chain.asClient.jobEscrow.fund(late.quote.jobId, late.quote, late.signature),
      'QuoteExpired',
    );
  });
});

describe('the price index', () => {
  it('is reproduced bit for bit by replaying the recorded input log', async () => {
    const { Pool } = await import('pg');
    const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 2 });
    try {
      const strategy = mtpStrategy(
        parsePolicy({ name: 'it', intervalSeconds: 1, maxStepBps: 2000, quoteValiditySeconds: 10 }),
      );
      const result = await verifyIndex(
        pool,
        new EngineRepository(pricing.schema, strategy),
        new PriceIndexRepository(pricing.schema),
        strategy,
      );
      expect(result.mismatches).toEqual([]);
      expect(result.stored).toBeGreaterThan(4);
      expect(result.replayed).toBe(result.stored);
    } finally {
      await pool.end();
    }
  });
});
