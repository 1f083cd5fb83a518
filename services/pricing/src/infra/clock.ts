/** The one place the service reads the time; handlers get it injected so tests can pin it. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
