import type { GateId } from '../../../store';
import { acceptance } from './acceptance';
import { develop, plan } from './agent-phase';
import { devComplete } from './dev-complete';
import { merge } from './merge';
import { mergePrep } from './merge-prep';
import { preflight } from './preflight';
import { qa } from './qa';
import type { GateActivity } from './types';

/** What each gate does: one activity per gate id, one file each. */
export const GATE_ACTIVITIES: Readonly<Partial<Record<GateId, GateActivity>>> = {
  'gate-0': preflight,
  'gate-1': plan,
  'gate-2': develop,
  'gate-3': devComplete,
  'gate-4': qa,
  'gate-5': acceptance,
  'gate-6': mergePrep,
  'gate-7': merge,
};

/** The activity of a gate; a gate this version does not know is skipped. */
export function activityOf(gate: GateId): GateActivity {
  return (
    GATE_ACTIVITIES[gate] ??
    (() =>
      Promise.resolve({
        verdict: { kind: 'skipped' as const },
        reason: `${gate} is not a gate this version of WAVE knows; skipped.`,
      }))
  );
}

export { escalationReason } from './qa';
export type { GateActivity, GateContext, GatePorts, GateResult } from './types';
