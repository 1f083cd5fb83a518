const AGPU = 10n ** 18n;

/** Base units as AGPU with `decimals` places, truncated (display only; the data stays exact). */
export function formatAgpu(baseUnits: bigint, decimals = 4): string {
  const neg = baseUnits < 0n;
  const v = neg ? -baseUnits : baseUnits;
  const scale = 10n ** BigInt(decimals);
  const scaled = (v * scale) / AGPU;
  const whole = scaled / scale;
  const frac = (scaled % scale).toString().padStart(decimals, '0');
  return `${neg ? '-' : ''}${whole}${decimals > 0 ? `.${frac}` : ''}`;
}

/** Price per GPU-second as AGPU per GPU-hour, a number for plots only. */
export function perGpuHour(pricePerSecond: bigint): number {
  return Number((pricePerSecond * 3600n * 10_000n) / AGPU) / 10_000;
}

export function percent(bps: bigint, decimals = 1): string {
  return (Number(bps) / 100).toFixed(decimals) + ' %';
}
