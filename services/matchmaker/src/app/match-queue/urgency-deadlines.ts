/**
 * Seconds a queued job may wait for a placement in its region before it overflows, by urgency
 * 1..4 (low, normal, high, critical). Defaults; `PLACEMENT_WINDOWS` overrides them at boot.
 */
export const DEFAULT_PLACEMENT_WINDOW_SECONDS: Readonly<Record<number, number>> = {
  1: 1800,
  2: 600,
  3: 120,
  4: 30,
};

const URGENCY: Record<string, number> = { low: 1, normal: 2, high: 3, critical: 4 };

/** Windows in effect: set once at boot from config (the domain takes the deadline as input). */
let windows: Readonly<Record<number, number>> = DEFAULT_PLACEMENT_WINDOW_SECONDS;

/**
 * Parses "low=1800,normal=600,high=120,critical=30" (any subset; the rest keep their defaults).
 * Throws naming the bad entry and what is accepted.
 */
export function parsePlacementWindows(text: string): Record<number, number> {
  const out: Record<number, number> = { ...DEFAULT_PLACEMENT_WINDOW_SECONDS };
  if (!text.trim()) return out;
  for (const entry of text.split(',')) {
    const [name, value] = entry.split('=').map((s) => s.trim());
    const urgency = URGENCY[name ?? ''];
    const seconds = Number(value);
    if (!urgency || !Number.isInteger(seconds) || seconds < 1 || seconds > 7 * 86_400)
      throw new Error(
        `placement window "${entry}" is invalid; accepted: <low|normal|high|critical>=<seconds 1..604800>, comma-separated`,
      );
    out[urgency] = seconds;
  }
  return out;
}

export function setPlacementWindows(w: Readonly<Record<number, number>>): void {
  windows = w;
}

export function placementWindowSeconds(urgency: number): number {
  return windows[urgency] ?? windows[2] ?? 600;
}

export function placementDeadline(now: Date, urgency: number): string {
  return new Date(now.getTime() + placementWindowSeconds(urgency) * 1000).toISOString();
}
