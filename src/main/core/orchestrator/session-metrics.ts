import type { EventBus } from '../events';
import type { SessionProjection } from './session-ui';

/**
 * A running session's live metrics: events per second, bus latency and cost, pushed as
 * metrics.tick; each tick also refreshes the view file. (The charts' history of both comes
 * from the stored latency windows, whichever process ran the session.)
 */
export class SessionMetrics {
  private eventsSinceTick = 0;
  private lastTickAt = Date.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sessionId: string,
    private readonly bus: EventBus,
    private readonly ui: SessionProjection,
    private readonly costUsd: () => number,
  ) {}

  /** One event of the session went by. */
  count(): void {
    this.eventsSinceTick += 1;
  }

  start(intervalMs: number): void {
    this.lastTickAt = Date.now();
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  /**
   * Ends the ticks with a last one: the charts get the run's final cost and rate even when the
   * run ended between two ticks (a run shorter than the interval would otherwise push none).
   */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    await this.tick();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const perSecond = this.eventsSinceTick / Math.max(0.001, (now - this.lastTickAt) / 1000);
    this.eventsSinceTick = 0;
    this.lastTickAt = now;
    const at = new Date(now).toISOString();
    const overall = this.bus.latencySnapshot().overall;
    this.ui.push('metrics.tick', {
      sessionId: this.sessionId,
      at,
      latency:
        overall.count > 0
          ? { p50Ms: overall.p50Ms, p95Ms: overall.p95Ms, p99Ms: overall.p99Ms, count: overall.count }
          : null,
      eventsPerSecond: Math.max(0, perSecond),
      costUsd: this.costUsd(),
    });
    await this.ui.refreshViewFile();
  }
}
