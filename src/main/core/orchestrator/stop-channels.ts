import type { Disposable } from '../../../shared/lifecycle';
import type { SessionRunPort } from '../../store/repos/pipeline-repo';
import type { ControlChannel } from '../control';
import type { EventBus, Subscription } from '../events';
import { readKillSwitch, type ControlFiles } from './control-files';

/**
 * Where an emergency stop for a session can come from, each leading to `onStop`:
 * - the control channel (pushed at once: the local socket, Redis pub/sub, Postgres NOTIFY;
 *   `wave stop` and the STOP of a window of another process);
 * - the session's system stream on the event bus (pushed; `wave stop` and other processes);
 * - polled every controlIntervalMs: the repository's kill switch .wave/STOP, a stop request
 *   control file, and (every second tick) the session's status `stopping` in the store.
 */
export class StopChannels {
  private subscription: Subscription | null = null;
  private control: Disposable | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private ticks = 0;

  constructor(
    private readonly sessionId: string,
    private readonly deps: {
      bus: EventBus;
      channel: ControlChannel | null;
      control: ControlFiles;
      repo: SessionRunPort;
      repoPath: string;
      /** True once a stop is under way: the polled channels rest. */
      stopping: () => boolean;
      onStop: (reason: string, by: string) => void;
      log: (line: string) => void;
    },
  ) {}

  /** Subscribes to the bus (throws when it cannot; polling goes on regardless once started). */
  async subscribe(): Promise<void> {
    if (this.deps.channel) {
      try {
        this.control = await this.deps.channel.subscribe((env, transport) => {
          const m = env.message;
          if (m.kind !== 'stop' || m.sessionId !== this.sessionId) return;
          this.deps.log(`stop request from ${env.origin} heard on the control channel (${transport})`);
          this.deps.onStop(m.reason, m.by);
        });
      } catch (e) {
        this.deps.log(`cannot hear stop requests on the control channel (${(e as Error).message}); polling only`);
      }
    }
    this.subscription = await this.deps.bus.subscribeSystem(this.sessionId, (e) => {
      if (e.type === 'emergency_stop') this.deps.onStop(e.reason, e.by);
    });
  }

  startPolling(intervalMs: number): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.busy || this.deps.stopping()) return;
    this.busy = true;
    try {
      const kill = readKillSwitch(this.deps.repoPath);
      if (kill !== null) {
        this.deps.onStop(kill ? `kill switch .wave/STOP: ${kill}` : 'kill switch .wave/STOP is set', 'kill-switch');
        return;
      }
      const req = this.deps.control.pendingStop(this.sessionId);
      if (req) {
        this.deps.onStop(req.reason, req.by);
        return;
      }
      if (this.ticks++ % 2 === 0) {
        const row = await this.deps.repo.session(this.sessionId);
        if (row?.status === 'stopping')
          this.deps.onStop(
            row.stopReason?.replace(/^Stopping: /, '') || 'stop requested through the store',
            'wave stop',
          );
      }
    } catch (e) {
      this.deps.log(`stop check failed: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.control?.dispose();
    this.control = null;
    await this.subscription?.close().catch(() => undefined);
    this.subscription = null;
  }
}
