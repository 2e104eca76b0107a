import type { Store } from '../../store';
import {
  RecoveryService,
  type RecoverSessionOptions,
  type RecoveryServiceOptions,
  type SessionRecoveryResult,
} from './recovery';

/**
 * Applies a recovery strategy to a session and returns, per story, what to run next and
 * the checkpoint to continue from. The orchestrator calls this with `claimAs` set to itself
 * and then runs each plan whose `nextGate` is not null; `wave resume` calls it without.
 */
export function resumeSession(
  store: Store,
  sessionId: string,
  opts: RecoverSessionOptions,
  serviceOptions: RecoveryServiceOptions = {},
): Promise<SessionRecoveryResult> {
  return new RecoveryService(store, serviceOptions).recoverSession(sessionId, opts);
}
