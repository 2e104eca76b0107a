/*
 * Classifying driver errors. drizzle wraps driver errors in DrizzleQueryError, whose
 * message embeds the whole SQL and every parameter (a 1 MB checkpoint state included), so
 * people are shown the innermost cause instead.
 */

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
  // admin_shutdown, crash_shutdown, cannot_connect_now
  '57P01',
  '57P02',
  '57P03',
]);

const CONNECTION_MESSAGES = [
  'connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'client has encountered a connection error',
  'connection ended',
  'not queryable',
  'cannot use a pool after calling end',
  'terminating connection',
];

/** The chain of causes, outermost first. */
function* causes(e: unknown): Generator<unknown> {
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur; i++) {
    yield cur;
    cur = (cur as { cause?: unknown }).cause;
  }
}

/** True when the error means the server could not be reached or the connection broke. */
export function isConnectionError(e: unknown): boolean {
  for (const c of causes(e)) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
    const msg = String((c as { message?: unknown }).message ?? '').toLowerCase();
    if (CONNECTION_MESSAGES.some((m) => msg.includes(m))) return true;
  }
  return false;
}

/** The innermost, human-sized error message. */
export function describeDbError(e: unknown): string {
  let last: unknown = e;
  for (const c of causes(e)) last = c;
  const msg = (last as { message?: unknown })?.message;
  const code = (last as { code?: unknown })?.code;
  const text = typeof msg === 'string' && msg ? msg : String(last);
  const short = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return typeof code === 'string' && !short.includes(code) ? `${short} (${code})` : short;
}

/** A SQLSTATE (five digits/capitals) on an error or one of its causes; null when none. */
export function sqlStateOf(e: unknown): string | null {
  for (const c of causes(e)) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return null;
}

/** True when the error came from the database layer (driver, drizzle, or our store errors). */
export function isDbError(e: unknown): boolean {
  if (sqlStateOf(e) !== null || isConnectionError(e)) return true;
  for (const c of causes(e)) {
    const name = (c as { name?: unknown }).name;
    if (name === 'DrizzleQueryError' || name === 'StoreUnavailableError' || name === 'CommitOutcomeUnknownError')
      return true;
    if ('query' in (c as object) && 'params' in (c as object)) return true;
    if (/^Failed query:/.test(String((c as { message?: unknown }).message ?? ''))) return true;
  }
  return false;
}

export type ClientDbErrorCode = 'invalid_request' | 'conflict' | 'unavailable' | 'internal';

/**
 * What a client (window, socket) is told about a database error: a clean code and a sentence,
 * never the SQL text, its parameters or the server's message (drizzle puts all three in its
 * error). The full error goes to the log only. Null when `e` is not a database error.
 */
export function clientDbError(e: unknown, what: string): { code: ClientDbErrorCode; message: string } | null {
  if (!isDbError(e)) return null;
  const names = [...causes(e)].map((c) => (c as { name?: unknown }).name);
  if (names.includes('CommitOutcomeUnknownError')) {
    return {
      code: 'unavailable',
      message: `${what}: the database connection broke while committing; the change may or may not be saved. Reload to see the current state before retrying.`,
    };
  }
  if (isConnectionError(e) || names.includes('StoreUnavailableError')) {
    return {
      code: 'unavailable',
      message: `${what}: the database is unreachable; nothing was changed. Retry once it is back (the header shows its health).`,
    };
  }
  const state = sqlStateOf(e);
  const cls = state?.slice(0, 2);
  // 22: data exception (bad encoding such as a NUL byte, value out of range, invalid text).
  if (cls === '22')
    return {
      code: 'invalid_request',
      message: `${what}: the database refused a value of the request (SQLSTATE ${state}). Check the ids and texts sent.`,
    };
  // 23: integrity constraint; 40: serialization failure / deadlock (a concurrent change).
  if (cls === '23' || cls === '40') {
    return {
      code: 'conflict',
      message: `${what}: it conflicts with the current data or a concurrent change (SQLSTATE ${state}). Reload and retry.`,
    };
  }
  return {
    code: 'internal',
    message: `${what} failed with a database error${state ? ` (SQLSTATE ${state})` : ''}; this is a bug. Details are in the log.`,
  };
}
