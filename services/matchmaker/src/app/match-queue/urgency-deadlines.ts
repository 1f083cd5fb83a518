/** Seconds a queued job may wait for a placement in its region before it overflows, by urgency 1..4. */
export const PLACEMENT_WINDOW_SECONDS: Record<number, number> = { 1: 1800, 2: 600, 3: 120, 4: 30 };

export function placementDeadline(now: Date, urgency: number): string {
  return new Date(now.getTime() + (PLACEMENT_WINDOW_SECONDS[urgency] ?? 600) * 1000).toISOString();
}
