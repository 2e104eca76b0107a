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
