import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChangeThrottle } from './change-throttle';

describe('ChangeThrottle', () => {
  afterEach(() => vi.useRealTimers());

  it('emits at most once per interval per key and never drops the last change', async () => {
    vi.useFakeTimers();
    let state = 0;
    const emitted: number[] = [];
    const t = new ChangeThrottle(100, async (key) => void emitted.push(Number(key === 'a') * state));
    for (state = 1; state <= 20; state++) {
      t.request('a');
      await vi.advanceTimersByTimeAsync(10);
    }
    state = 20;
    await vi.advanceTimersByTimeAsync(200);
    // 200 ms of changes every 10 ms: a handful of emits, the last one with the last state.
    expect(emitted.length).toBeGreaterThanOrEqual(2);
    expect(emitted.length).toBeLessThanOrEqual(4);
    expect(emitted.at(-1)).toBe(20);
    t.dispose();
  });

  it('flush emits now, after an emit in flight, and keys do not hold each other back', async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    let slowOnce = true;
    const t = new ChangeThrottle(1000, async (key) => {
      order.push(`start ${key}`);
      if (key === 'slow' && slowOnce) {
        slowOnce = false;
        await new Promise<void>((r) => (release = r));
      }
      order.push(`end ${key}`);
    });
    t.request('slow');
    t.request('fast');
    // The fast key is not held back by the slow one.
    expect(order).toEqual(['start slow', 'start fast', 'end fast']);
    t.request('slow'); // during the slow emit: another one follows it
    const flushed = t.flush('slow');
    release();
    await flushed;
    expect(order.filter((o) => o.includes('slow'))).toEqual(['start slow', 'end slow', 'start slow', 'end slow']);
    t.dispose();
    t.request('fast');
    await t.flush('fast');
    expect(order.filter((o) => o === 'start fast')).toHaveLength(1);
  });

  it('keeps going when an emit fails', async () => {
    let calls = 0;
    const t = new ChangeThrottle(0, async () => {
      calls++;
      throw new Error('view failed');
    });
    await t.flush('x');
    await t.flush('x');
    expect(calls).toBe(2);
  });
});
