import { ExecutorError } from './errors';

// Story ids and agent names become path segments and parts of `wave/<agent>/<story>`:
// restrict them to characters that are safe in a ref, a file name and a log line.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Throws unless `value` is usable as a story id (path segment and ref component). */
export function assertStoryId(value: string): string {
  return assertSafeName(value, 'story id');
}

/** Throws unless `value` is usable as an agent name (ref component). */
export function assertAgentName(value: string): string {
  return assertSafeName(value, 'agent name');
}

function assertSafeName(value: string, what: string): string {
  if (
    typeof value !== 'string' ||
    !SAFE_NAME.test(value) ||
    value.includes('..') ||
    value.endsWith('.') ||
    value.endsWith('.lock')
  ) {
    throw new ExecutorError(
      'invalid_name',
      `The ${what} ${JSON.stringify(value)} cannot be used for a git branch or folder name. ` +
        'Use 1–100 characters from A–Z, a–z, 0–9, ".", "_" and "-", starting with a letter or digit ' +
        '(no "..", no trailing "." or ".lock").',
      { value, what },
    );
  }
  return value;
}

/** The branch an agent works on for a story: `wave/<agent>/<story-id>`. */
export function storyBranchName(agent: string, storyId: string): string {
  return `wave/${assertAgentName(agent)}/${assertStoryId(storyId)}`;
}
