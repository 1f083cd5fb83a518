import {
  parsePlacementWindows,
  placementDeadline,
  placementWindowSeconds,
  setPlacementWindows,
  DEFAULT_PLACEMENT_WINDOW_SECONDS,
} from './urgency-deadlines';

describe('placement windows', () => {
  afterEach(() => setPlacementWindows(DEFAULT_PLACEMENT_WINDOW_SECONDS));

  it('defaults to low 30 min, normal 10 min, high 2 min, critical 30 s', () => {
    expect([1, 2, 3, 4].map(placementWindowSeconds)).toEqual([1800, 600, 120, 30]);
  });

  it('given an override of some urgencies, then those change and the rest keep their defaults', () => {
    setPlacementWindows(parsePlacementWindows('critical=2, low=60'));
    expect([1, 2, 3, 4].map(placementWindowSeconds)).toEqual([60, 600, 120, 2]);
    expect(placementDeadline(new Date('2030-01-01T00:00:00Z'), 4)).toBe('2030-01-01T00:00:02.000Z');
  });

  it('refuses a bad entry naming it and what is accepted', () => {
    expect(() => parsePlacementWindows('urgent=5')).toThrow(
      /"urgent=5" is invalid; accepted: <low\|normal\|high\|critical>=<seconds/,
    );
    expect(() => parsePlacementWindows('low=0')).toThrow(/"low=0" is invalid/);
  });
});
