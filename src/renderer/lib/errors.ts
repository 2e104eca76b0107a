import type { ApiError } from '../../shared/ipc/result';

const NEXT_STEP: Partial<Record<ApiError['code'], string>> = {
  unavailable: 'Check that the core is running (the header shows the connection) and retry.',
  rate_limited: 'Wait a second and retry.',
  internal: 'This is a bug in WAVE; the core log has the details. Retry, and report it if it repeats.',
  payload_too_large: 'Send less at once (fewer or smaller files).',
};

/** "Could not <action>: <what the core said>" plus a next step when the core gave none. */
export function describeError(action: string, error: ApiError): string {
  const msg = error.message.trim();
  const hint = NEXT_STEP[error.code];
  const saysWhatToDo =
    /\b(run|open|choose|retry|try|import|approve|set|check|drop|wait|re-read|split|start|reload)\b/i.test(msg);
  return `Could not ${action}: ${msg}${hint && !saysWhatToDo ? ` ${hint}` : ''}`;
}
