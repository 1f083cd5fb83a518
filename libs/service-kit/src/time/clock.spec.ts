import { ManualClock, systemClock } from './clock';
import { SequentialIds, uuidV7Ids } from './ids';

describe('ManualClock', () => {
  it('stands still until advanced or set', () => {
    const clock = new ManualClock(1_000);
    expect(clock.nowMs()).toBe(1_000);
    clock.advance(250);
    expect(clock.now().getTime()).toBe(1_250);
    clock.set(new Date(5_000));
    expect(clock.nowMs()).toBe(5_000);
  });

  it('the system clock reads the wall time', () => {
    const before = Date.now();
    const read = systemClock.nowMs();
    expect(read).toBeGreaterThanOrEqual(before);
    expect(systemClock.now().getTime()).toBeGreaterThanOrEqual(read);
  });
});

describe('id sources', () => {
  it('sequential ids count up under their prefix', () => {
    const ids = new SequentialIds('job');
    expect([ids.next(), ids.next()]).toEqual(['job-1', 'job-2']);
  });

  it('UUIDv7 ids are distinct and sort by creation', () => {
    const a = uuidV7Ids.next();
    const b = uuidV7Ids.next();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(a < b).toBe(true);
  });
});
