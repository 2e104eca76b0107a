/** Another live process holds the embedded database directory. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host ? ` on host ${holder.host}` : '';
    const who = holder.role
      ? `${holder.role} (process ${holder.pid}${where}, started ${holder.startedAt})`
      : `process ${holder.pid}${where} (started ${holder.startedAt})`;
    super(
      `The WAVE data directory ${dirOf(lockPath)} is in use by ${who}. ` +
        `Only one process can open the embedded database at a time: ${stopHint(holder)}, ` +
        'or point this process at another directory with WAVE_HOME=<dir>, or use a Postgres server with DATABASE_URL=postgres://…',
    );
  }
}

/** What the lead does to free the store, in the holder's own terms. */
function stopHint(h: LockHolder): string {
  if (h.role === LOCK_ROLES.window) return `close the WAVE window (process ${h.pid})`;
  if (h.role === LOCK_ROLES.serve) return `stop that wave serve with Ctrl+C in its terminal (or kill ${h.pid})`;
  if (h.role?.startsWith(LOCK_ROLES.session))
    return `wait for the session to end, or stop it with "wave stop" (process ${h.pid})`;
  return `stop process ${h.pid} (or close the WAVE window that owns it)`;
}

/** How each kind of process names itself in the lock file. */
export const LOCK_ROLES = {
  window: 'the WAVE window',
  serve: 'wave serve',
  session: 'a session run',
} as const;

/** The database server cannot be reached; nothing was written. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/**
 * The connection broke while COMMIT was in flight: the write may or may not have been
 * committed, so it was NOT acknowledged. Re-read before retrying anything not idempotent.
 */
export class CommitOutcomeUnknownError extends Error {
  override readonly name = 'CommitOutcomeUnknownError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  /** Kernel start time of the holder process (Linux), to tell a reused pid from the holder. */
  procStart?: string | null;
  token: string;
  /** What the holder is (see LOCK_ROLES, or "wave <command>"); absent in locks of older versions. */
  role?: string;
}

function dirOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : p;
}
