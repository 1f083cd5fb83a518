import { type PrivatePool, type StandIn } from '@starminer/testing';
import { EventPublisher, startMatchmaker, startQuoteServer, type Matchmaker } from './harness';
import { EventStoreProbe, PrivateRegions } from './private-stack';

/**
 * A fault test's whole fixture: private regions with their nodes announced, a stand-in quote
 * server, an event publisher and the matchmaker in this process (its Kubernetes view limited to
 * the private regions, its regions file listing them), both in `deployment` (default: the test
 * file's stand-in), started only once it has applied the node announcements.
 */
export class PrivateMatchmaker {
  private constructor(
    readonly regions: PrivateRegions,
    readonly events: EventPublisher,
    readonly quotes: Awaited<ReturnType<typeof startQuoteServer>>,
    readonly mm: Matchmaker,
    readonly probe: EventStoreProbe,
  ) {}

  static async start(
    runId: string,
    specs: Array<{ name: string; pools: PrivatePool[] }>,
    extraEnv: Record<string, string> = {},
    deployment?: StandIn,
  ): Promise<PrivateMatchmaker> {
    const regions = await PrivateRegions.create(runId, specs);
    const events = new EventPublisher(deployment);
    let quotes: Awaited<ReturnType<typeof startQuoteServer>> | undefined;
    try {
      quotes = await startQuoteServer();
      await events.connect();
      await regions.announce(events);
      const mm = await startMatchmaker({
        pricingAddress: quotes.address,
        runId,
        extraEnv: { ...regions.env(), ...extraEnv },
        deployment: events.deployment,
      });
      const probe = new EventStoreProbe(`mm_${runId.replace(/-/g, '_')}`);
      await probe.nodesApplied(regions);
      return new PrivateMatchmaker(regions, events, quotes, mm, probe);
    } catch (err) {
      await events.disconnect().catch(() => undefined);
      await quotes?.stop();
      regions.delete();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.mm.stop();
    await this.events.disconnect();
    await this.quotes.stop();
    await this.probe.drop();
    this.regions.delete();
  }
}
