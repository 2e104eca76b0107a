import type { TransactionOptions, WaveQueryable } from '../store';

/**
 * Where a repository's statements run: on the store (reads as they are, writes through the
 * store's retrying `write`) or inside one open transaction (the caller's unit of work).
 */
export interface QueryRunner {
  read<T>(fn: (q: WaveQueryable) => Promise<T>): Promise<T>;
  /** `opts.retryForMs` 0: fail at the first connection error instead of waiting for the server. */
  write<T>(fn: (q: WaveQueryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
}

/** Runs everything on one open transaction (or on a queryable a caller handed over). */
export function onQueryable(q: WaveQueryable): QueryRunner {
  return { read: (fn) => fn(q), write: (fn) => fn(q) };
}

/** Rows of a raw `execute` result: both drivers answer `{ rows }`. */
export function rowsOf<R>(result: unknown): R[] {
  return ((result as { rows?: R[] }).rows ?? []) as R[];
}
