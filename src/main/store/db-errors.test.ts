import { describe, expect, it } from 'vitest';
import { describeDbError, isConnectionError } from './db-errors';

describe('db errors', () => {
  it('recognises a broken connection through wrapper errors', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const wrapped = new Error(`Failed query: insert ...\nparams: ${'x'.repeat(5000)}`, { cause: inner });
    expect(isConnectionError(wrapped)).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    // The person sees the cause, not 5 KB of parameters.
    expect(describeDbError(wrapped)).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });
});
