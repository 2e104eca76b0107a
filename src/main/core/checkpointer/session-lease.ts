import os from 'node:os';
import { pidAlive } from '../../store/dir-lock';
import { describeDbError } from '../../store/db-errors';
import type { SessionStatus } from '../../store/schema';
import { repositories, type SessionsRepo } from '../../store/repos';
import type { Store } from '../../store';
import { RecoveryError } from './errors';

export const DEFAULT_LEASE_MS = 15_000;
export const DEFAULT_HEARTBEAT_MS = 5_000;

export interface OwnerFacts {
  ownerPid: number | null;
  ownerHost: string | null;
  /** Age of the last heartbeat measured by the database clock; null when never beaten. */
  heartbeatAgeMs: number | null;
}

export interface LivenessOptions {
  /** This machine's name (default os.hostname()). */
  host?: string;
  /** A heartbeat older than this means the owner is gone (default 15 s). */
  leaseMs?: number;
  /** Whether a pid on this host is alive (default: signal 0). */
  isAlive?: (pid: number) => boolean;
}

export type OwnerVerdict = { alive: true } | { alive: false; reason: string };

/** Decides whether the process recorded as a session's owner still drives it. */
export function judgeOwner(f: OwnerFacts, opts: LivenessOptions = {}): OwnerVerdict {
  const host = opts.host ?? os.hostname();
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const isAlive = opts.isAlive ?? pidAlive;
  if (f.ownerPid === null) return { alive: false, reason: 'no process owns it' };
  const who = `process ${f.ownerPid} on ${f.ownerHost ?? 'an unknown host'}`;
  if (f.ownerHost === host && !isAlive(f.ownerPid))
    return { alive: false, reason: `its owner ${who} is no longer running` };
  if (f.heartbeatAgeMs === null) return { alive: false, reason: `its owner ${who} never sent a heartbeat` };
  if (f.heartbeatAgeMs > leaseMs) {
    return {
      alive: false,
      reason: `no heartbeat from its owner ${who} for ${Math.round(f.heartbeatAgeMs / 1000)} s (lease ${Math.round(leaseMs / 1000)} s)`,
    };
  }
  return { alive: true };
}

export { heartbeatAgeMs } from '../../store/repos';

export interface SessionLeaseOptions extends LivenessOptions {
  pid?: number;
  heartbeatMs?: number;
  log?: (line: string) => void;
  /** Called once if another process took the session over: stop driving it. */
  onLost?: (reason: string) => void;
  /** Session status to set when the lease is taken (e.g. 'running'). */
  status?: SessionStatus;
}

/**
 * Marks this process as the owner of a session and keeps a heartbeat, so a crash is
 * noticed (dead pid on this host, or a heartbeat older than the lease anywhere).
 */
export class SessionLease {
  private timer: NodeJS.Timeout | null = null;
  private lost = false;
  private released: Promise<void> | null = null;
  private beating: Promise<boolean> | null = null;

  private constructor(
    private readonly sessions: SessionsRepo,
    readonly sessionId: string,
    readonly pid: number,
    readonly host: string,
    private readonly opts: SessionLeaseOptions,
  ) {}

  /** Takes the session unless a live process owns it (RecoveryError 'busy'). */
  static async acquire(store: Store, sessionId: string, opts: SessionLeaseOptions = {}): Promise<SessionLease> {
    const pid = opts.pid ?? process.pid;
    const host = opts.host ?? os.hostname();
    const repos = repositories(store);
    await repos.transaction(async (tx) => {
      const row = await tx.sessions.lockOwner(sessionId);
      if (!row) throw new RecoveryError(`Session ${sessionId} does not exist.`, 'not_found');
      const mine = row.ownerPid === pid && row.ownerHost === host;
      if (!mine) {
        const verdict = judgeOwner(row, { ...opts, host });
        if (verdict.alive) {
          throw new RecoveryError(
            `Session ${sessionId} is being run by process ${row.ownerPid} on ${row.ownerHost}. Stop it there first (wave stop ${sessionId}), or wait for its lease to expire if that process is gone.`,
            'busy',
          );
        }
      }
      await tx.sessions.claim(sessionId, pid, host, opts.status);
    });
    const lease = new SessionLease(repos.sessions, sessionId, pid, host, opts);
    lease.timer = setInterval(() => void lease.heartbeat(), opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    lease.timer.unref();
    return lease;
  }

  get isLost(): boolean {
    return this.lost;
  }

  /** Refreshes the heartbeat; false if the lease was lost (or the database is unreachable). */
  heartbeat(): Promise<boolean> {
    if (this.lost || this.released) return Promise.resolve(false);
    this.beating ??= this.beat().finally(() => {
      this.beating = null;
    });
    return this.beating;
  }

  private async beat(): Promise<boolean> {
    try {
      const owned = await this.sessions.beat(this.sessionId, this.pid, this.host);
      if (!owned && !this.released) {
        this.lost = true;
        this.stopTimer();
        const reason = `session ${this.sessionId} was taken over by another process`;
        this.opts.log?.(`lease: ${reason}`);
        this.opts.onLost?.(reason);
        return false;
      }
      return true;
    } catch (e) {
      // The store reconnects on its own; a missed beat only matters past the lease.
      this.opts.log?.(`lease: heartbeat of session ${this.sessionId} failed: ${describeDbError(e)}`);
      return false;
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stops the heartbeat and clears the owner if it is still us. Safe to call twice. */
  release(final?: { status?: SessionStatus; stopReason?: string | null }): Promise<void> {
    this.released ??= (async () => {
      this.stopTimer();
      await this.beating?.catch(() => {});
      if (this.lost) return;
      await this.sessions.releaseOwner(this.sessionId, this.pid, this.host, final);
    })();
    return this.released;
  }

  close(): Promise<void> {
    return this.release();
  }
}
