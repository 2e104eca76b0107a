import { describe, expect, it } from 'vitest';
import { makeScale, resolution, ticks } from './scale';

describe('gantt time scale', () => {
  it('fits the time range into the viewport at zoom 1 and widens it when zoomed', () => {
    const s = makeScale(0, 60_000, 600, 1);
    expect(s.width).toBe(600);
    expect(makeScale(0, 60_000, 600, 4).width).toBe(2400);
  });

  it('labels ticks with units, spaced for reading', () => {
    const t = ticks(makeScale(0, 600_000, 1000, 1));
    expect(t[0]?.label).toBe('0 min');
    expect(t[1]?.label).toBe('1 min');
    expect(t[1]!.x - t[0]!.x).toBeGreaterThanOrEqual(90);
    expect(ticks(makeScale(0, 20_000, 1000, 1))[1]?.label).toBe('2 s');
  });

  it('says what a pixel is worth', () => {
    expect(resolution(makeScale(0, 60_000, 600, 1))).toBe('1 px = 100 ms');
  });
});
