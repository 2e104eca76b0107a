import { z } from 'zod';
import { canonicalJson } from '../../../shared/canonical-json';
import { ENDED_GATE_STATUSES } from '../../../shared/status';
import { sha256Hex } from '../hash';
import { isGateId } from './gates';
import type { GateId } from '../../store/schema';

export { canonicalJson, sha256Hex };

const Gate = z.custom<GateId>(isGateId, { message: 'expected a gate id like "gate-3"' });

/**
 * What a checkpoint holds: enough to resume a story exactly after the gate it closes.
 * The envelope is filled by the Checkpointer from the story run; `data` is the
 * orchestrator's own (agent session ids, plan, QA feedback, …), any JSON.
 */
export const CheckpointState = z.object({
  v: z.literal(1),
  sessionId: z.string().min(1),
  storyRunId: z.string().min(1),
  storyId: z.string().min(1),
  epoch: z.number().int().nonnegative(),
  gate: Gate,
  gateStatus: z.enum(ENDED_GATE_STATUSES),
  attempt: z.number().int().positive(),
  lastPassedGate: Gate.nullable(),
  /** The gate to run when resuming from this checkpoint; null when the pipeline is done. */
  nextGate: Gate.nullable(),
  branch: z.string().nullable(),
  worktreePath: z.string().nullable(),
  baseSha: z.string().nullable(),
  headSha: z.string().nullable(),
  /** Cumulative cost of the story run up to and including this gate. */
  costUsd: z.number().nonnegative(),
  data: z.record(z.string(), z.unknown()),
});
export type CheckpointState = z.infer<typeof CheckpointState>;

/** Why a stored state cannot be trusted, or null when it is intact. */
export function verifyState(
  state: unknown,
  stateHash: string,
): { ok: true; state: CheckpointState } | { ok: false; reason: string } {
  let actual: string;
  try {
    actual = sha256Hex(canonicalJson(state));
  } catch (e) {
    return { ok: false, reason: `state cannot be serialised: ${(e as Error).message}` };
  }
  if (actual !== stateHash)
    return {
      ok: false,
      reason: `state hash mismatch (stored ${stateHash.slice(0, 12)}…, actual ${actual.slice(0, 12)}…)`,
    };
  const parsed = CheckpointState.safeParse(state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    return {
      ok: false,
      reason: `state does not match the checkpoint schema at ${where}: ${issue?.message ?? 'invalid'}`,
    };
  }
  return { ok: true, state: parsed.data };
}
