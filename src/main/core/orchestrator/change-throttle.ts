interface KeyState {
  lastAt: number;
  timer: NodeJS.Timeout | null;
  inFlight: Promise<void> | null;
  dirty: boolean;
}

/**
 * Coalesces "this changed" notices per key to at most one emit per interval, and never
 * drops the last one: a notice that arrives during the quiet time is emitted when it
 * ends; one that arrives while an emit runs causes another emit after it. Emits of one
 * key never overlap, so what goes out last reflects the latest state.
 */
export class ChangeThrottle {
  private readonly keys = new Map<string, KeyState>();
  private disposed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly emit: (key: string) => Promise<void>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Notes that `key` changed. */
  request(key: string): void {
    if (this.disposed) return;
    const s = this.state(key);
    if (s.inFlight) {
      s.dirty = true;
      return;
    }
    if (s.timer) return;
    const wait = s.lastAt + this.intervalMs - this.now();
    if (wait <= 0) this.run(key, s);
    else {
      s.timer = setTimeout(() => this.run(key, s), wait);
      s.timer.unref?.();
    }
  }

  /** Emits `key` now (after any emit in flight) and resolves when it went out: the final state. */
  async flush(key: string): Promise<void> {
    if (this.disposed) return;
    const s = this.state(key);
    for (;;) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      if (!s.inFlight) break;
      await s.inFlight;
    }
    s.dirty = false;
    this.run(key, s);
    await s.inFlight;
  }

  /** Emits every key with a pending notice, then resolves. */
  async flushAll(): Promise<void> {
    const pending = [...this.keys].filter(([, s]) => s.timer || s.inFlight || s.dirty).map(([k]) => k);
    await Promise.all(pending.map((k) => this.flush(k)));
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.keys.values()) if (s.timer) clearTimeout(s.timer);
    this.keys.clear();
  }

  private state(key: string): KeyState {
    let s = this.keys.get(key);
    if (!s) this.keys.set(key, (s = { lastAt: -Infinity, timer: null, inFlight: null, dirty: false }));
    return s;
  }

  private run(key: string, s: KeyState): void {
    s.timer = null;
    s.lastAt = this.now();
    s.inFlight = this.emit(key)
      .catch(() => undefined)
      .finally(() => {
        s.inFlight = null;
        if (s.dirty && !this.disposed) {
          s.dirty = false;
          this.request(key);
        }
      });
  }
}
