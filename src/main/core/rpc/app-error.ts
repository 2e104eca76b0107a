import type { ErrorCode } from '../../../shared/ipc';

/** An error a handler throws on purpose; the router turns it into a typed Result error. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}
