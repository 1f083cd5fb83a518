// The pricing service against the local stack: node and job events published to Kafka move the
// price book, PriceUpdated events reach starminer.market.v1, the index pages, and quotes the
// service signs fund a freshly deployed JobEscrow, while expired, tampered and replayed ones
// are rejected by the contract with its custom errors. Supply announced by another deployment
// or in a region the deployment does not serve is refused and never priced.
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
import {
  requireStackVar,
  standInDeployment,
  waitUntil,
  withScopes,
  type StandIn,
} from '@starminer/testing';
import { verifyIndex } from '../src/app/verify-index/verify-index';
import { DEFAULT_POLICY, neutralPrice, parsePolicy } from '../src/domain/policy';
import { mtpStrategy } from '../src/domain/strategy';
import { PgPriceIndex } from '../src/infra/pg-price-index';
import { PgSignalLog } from '../src/infra/pg-signal-log';
import { deployFreshProtocol, type FreshProtocol } from './support/fresh-protocol';
import { call, startPricing, type Harness } from './support/pricing-harness';

const id = `${process.pid}_${Date.now().toString(36)}`;
// The region the suite's deployment serves, and one it does not serve.
const region = `it-${id.replace(/_/g, '-')}`;
const unserved = `${region}-unserved`;
const H100 = 'NVIDIA-H100-80GB-HBM3';
const A100 = 'NVIDIA-A100-SXM4-80GB';
const NORMAL = commonV1.Urgency.URGENCY_NORMAL;

let chain: FreshProtocol;
let deployment: StandIn;
let pricing: Harness;
let marketConsumer: Consumer;
/** Every PriceUpdated on the market topic: the topic is this file's own (its Kafka namespace). */
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
  deployment = withScopes(chain.deployments, chain.deploymentsFile);
  pricing = await startPricing({
    id,
    deployment,
    regions: [region],
    pricingKey: chain.pricingKey.privateKey,
    policy:
      'version: 1\nname: it\nintervalSeconds: 1\nmaxStepBps: 2000\nquoteValiditySeconds: 10\n',
  });
  // Ready: started, so the market topic it publishes to exists in the file's namespace.
  await waitUntil('the pricing service to be ready', async () => {
    const r = await fetch(`http://127.0.0.1:${pricing.service.httpPort}/readyz`);
    return r.status === 200 ? true : undefined;
  });
  marketConsumer = pricing.bus.consumer({
    groupId: `pricing-it-market-${id}`,
    fromBeginning: true,
  });
  await marketConsumer.start([Topics.market], async (batch) => {
    for (const m of batch.messages) {
      if (!m.value) continue;
      const env = decodeEnvelope(marketEvents, m.value);
      if (env.type === 'PriceUpdated')
        priceUpdates.push(env.event as eventsV1.PriceUpdated & { type: 'PriceUpdated' });
    }
    const last = batch.messages.at(-1);
    if (last) await batch.commit(last.offset);
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
    // Urgency orders the tiers of the pool: read from one price book, so no interval falls
    // between the tiers compared.
    const b = await book();
    const prices = [
      commonV1.Urgency.URGENCY_LOW,
      NORMAL,
      commonV1.Urgency.URGENCY_HIGH,
      commonV1.Urgency.URGENCY_CRITICAL,
    ].map((u) => {
      const p = b.prices.find((x) => x.tier?.gpuClass === 'H100-80GB' && x.tier.urgency === u);
      return p ? BigInt(p.pricePerGpuSecond!.baseUnits) : undefined;
    });
    expect(prices).not.toContain(undefined);
    expect([...prices].sort((a, b) => (a! < b! ? -1 : 1))).toEqual(prices);
  });

  it('publishes every change as PriceUpdated on starminer.market.v1', async () => {
    const update = await waitUntil(
      'a PriceUpdated above the previous price for the suite region',
      () =>
        priceUpdates.find(
          (u) =>
            u.tier?.region === region &&
            u.tier.gpuProduct === H100 &&
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

  it('refuses a quote for a region the deployment does not serve, naming the regions it serves', async () => {
    await expect(
      quote(quoteRequest({ regionPreference: [region, unserved] })),
    ).rejects.toMatchObject({
      code: 3,
      details: expect.stringContaining(
        `region_preference: "${unserved}" is not a region this deployment serves (served: ${region})`,
      ),
    });
  });

  it('signs a quote the deployed JobEscrow accepts: the deposit is price x GPUs x duration', async () => {
    // The quote and the price book are two reads: an interval may move the price between them,
    // so ask again until both name the same price.
    const {
      quote: q,
      signature,
      offer,
    } = await waitUntil(
      'a quote at the price the book publishes',
      async () => {
        const o = await signedOffer();
        return o.quote.pricePerGpuSecond === (await priceOf('H100-80GB', NORMAL)) ? o : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(q.maxGpuSeconds).toBe(2n * 600n);
    expect(BigInt(offer.maxTotal!.baseUnits)).toBe(q.pricePerGpuSecond * q.maxGpuSeconds);
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

describe('events of another deployment or region', () => {
  const a100Node = (nodeRegion: string, node: string, gpus: number) => ({
    type: 'NodeJoined' as const,
    ...eventsV1.NodeJoined.fromPartial({
      region: nodeRegion,
      node,
      provider: '0x976ea74026e726554db657fa54763abd0c3a0aa9',
      pool: 'a100-a',
      gpus: { product: A100, count: gpus, memoryMib: 81920 },
    }),
  });
  const a100Normal = async (r: string) =>
    (await book(r)).prices.find(
      (p) => p.tier?.gpuClass === 'A100-80GB' && p.tier.urgency === NORMAL,
    );

  it('refuses supply announced by another deployment or in an unserved region, and prices the legitimate one', async () => {
    expect(await a100Normal(region)).toBeUndefined();
    // Another deployment's registry announces an 8-GPU A100 node in the suite's region, and this
    // deployment's registry one in a region the deployment does not serve.
    const other = standInDeployment(chain.deployments.chainId);
    await pricing.publish(
      nodeEvents,
      `${region}/forged-0`,
      a100Node(region, 'forged-0', 8),
      other.as('registry').origin,
    );
    await pricing.publish(nodeEvents, `${unserved}/far-0`, a100Node(unserved, 'far-0', 8));
    // This deployment's registry announces a 4-GPU A100 node in the served region.
    await pricing.publish(nodeEvents, `${region}/a100-0`, a100Node(region, 'a100-0', 4));

    // Both forged events counted as refused: the consumer has read them and they never reach
    // the engine, whatever it prices from here on.
    const refused = await waitUntil(
      'the forged node events refused',
      async () => {
        const r = await pricing.refused();
        return r.foreign_deployment && r.unknown_region ? r : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(refused).toEqual({ foreign_deployment: 1, unknown_region: 1 });

    // The legitimate node is priced with its own 4 free GPUs only.
    const priced = await waitUntil('the A100 pool priced', () => a100Normal(region), {
      timeoutMs: 30_000,
    });
    expect(priced.freeGpus).toBe(4);
    expect((await book(unserved)).prices).toEqual([]);
    // No 8-GPU node anywhere: a 5-GPU job cannot be placed, a 4-GPU one only in the suite region.
    const five = await quote(
      quoteRequest({ gpu: { product: A100, count: 5, minVramMib: 0 }, regionPreference: [] }),
    );
    expect(five.result).toMatchObject({
      $case: 'infeasible',
      value: { reason: pricingV1.InfeasibleReason.INFEASIBLE_REASON_TOO_MANY_GPUS },
    });
    const four = await quote(
      quoteRequest({ gpu: { product: A100, count: 4, minVramMib: 0 }, regionPreference: [] }),
    );
    if (four.result?.$case !== 'offers')
      throw new Error(`no offers: ${JSON.stringify(four.result)}`);
    expect(four.result.value.offers.map((o) => o.tier?.region)).toEqual([region]);

    // What it published: the legitimate pool's prices, none of the unserved region, none
    // counting the forged GPUs.
    const { Pool } = await import('pg');
    const pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 1 });
    try {
      const outbox = await pool.query<{ key: string }>(
        `SELECT message_key AS key FROM ${pricing.schema}.outbox WHERE topic = $1`,
        [Topics.market],
      );
      const keys = outbox.rows.map((r) => r.key);
      expect(keys.some((k) => k.startsWith(`${A100}/${region}/`))).toBe(true);
      expect(keys.filter((k) => k.includes(`/${unserved}/`))).toEqual([]);
    } finally {
      await pool.end();
    }
    const a100Updates = await waitUntil(
      'the A100 PriceUpdated read back from the market topic',
      () => {
        const u = priceUpdates.filter((p) => p.tier?.gpuProduct === A100);
        return u.length > 0 ? u : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(a100Updates.every((u) => u.tier?.region === region && u.freeGpus === 4)).toBe(true);
    expect(priceUpdates.filter((u) => u.tier?.region === unserved)).toEqual([]);
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
        new PgSignalLog(pool, pricing.schema, strategy),
        new PgPriceIndex(pool, pricing.schema),
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
