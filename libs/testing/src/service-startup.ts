import { waitUntil } from './wait';

/**
 * Waits until a service started in the test has finished its background start: its /readyz no
 * longer reports the `startup` check failing (other checks may still be settling).
 */
export async function waitForStartup(httpPort: number, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    `the service on :${httpPort} to finish starting`,
    async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      const body = (await res.json()) as { failing?: { name: string; error: string }[] };
      const startup = body.failing?.find((f) => f.name === 'startup');
      if (startup) throw new Error(startup.error);
      return true;
    },
    { timeoutMs },
  );
}
