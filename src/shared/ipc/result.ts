/** Every request answers with a Result instead of throwing across a process boundary. */
export const ERROR_CODES = [
  'invalid_request',
  'unknown_method',
  'payload_too_large',
  'rate_limited',
  'forbidden_sender',
  'unauthorized',
  'not_found',
  'conflict',
  'unavailable',
  'precondition_failed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiError {
  code: ErrorCode;
  message: string;
  /** Optional structured detail (e.g. zod issue paths), never secrets. */
  details?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(code: ErrorCode, message: string, details?: unknown): Result<T> {
  return details === undefined
    ? { ok: false, error: { code, message } }
    : { ok: false, error: { code, message, details } };
}
