import { ExecutorError } from './errors';

const SAFE_SESSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Session ids name folders (process records, logs): keep them to safe characters. */
export function assertSafeSessionId(value: string): string {
  if (typeof value !== 'string' || !SAFE_SESSION.test(value) || value.includes('..')) {
    throw new ExecutorError(
      'invalid_name',
      `The session id ${JSON.stringify(value)} cannot be used as a folder name: use letters, digits, ".", "_" and "-".`,
      { value },
    );
  }
  return value;
}
