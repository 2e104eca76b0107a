/** Another live process holds the embedded database directory. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host ? ` on host ${holder.host}` : '';
    super(
      `The WAVE data directory ${dirOf(lockPath)} is in use by process ${holder.pid}${where} (started ${holder.startedAt}). ` +
        `Only one process can open the embedded database at a time: stop process ${holder.pid} (or close the WAVE window that owns it), ` +
        'or point this process at another directory with WAVE_HOME=<dir>, or use a Postgres server with DATABASE_URL=postgres://…',
    );
  }
}

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
}

function dirOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : p;
}
