import type { GateAttemptView, GateId, StoryRunView } from '../../shared/ipc/views';
import { GATE_IDS, GATE_NAMES } from './contract-constants';

/** What one segment of a story's 8-segment gate strip shows. */
export type GateState = 'passed' | 'running' | 'failed' | 'retrying' | 'skipped' | 'stopped' | 'pending';

export const GATE_STATE_GLYPH: Record<GateState, string> = {
  passed: '✓',
  running: '▶',
  failed: '✕',
  retrying: '↻',
  skipped: '⤼',
  stopped: '■',
  pending: '·',
};

export interface GateCell {
  gate: GateId;
  name: string;
  state: GateState;
  attempts: number;
  latest: GateAttemptView | null;
}

/** The latest attempt decides a gate's state; a running attempt after a failure is a retry. */
export function gateCells(story: Pick<StoryRunView, 'gates'>): GateCell[] {
  const byGate = new Map<GateId, GateAttemptView[]>();
  for (const a of story.gates) {
    const list = byGate.get(a.gate);
    if (list) list.push(a);
    else byGate.set(a.gate, [a]);
  }
  return GATE_IDS.map((gate) => {
    const list = byGate.get(gate) ?? [];
    let latest: GateAttemptView | null = null;
    for (const a of list)
      if (!latest || a.attempt > latest.attempt || (a.attempt === latest.attempt && a.gateRunId > latest.gateRunId))
        latest = a;
    let state: GateState = 'pending';
    if (latest) {
      if (latest.status === 'running') state = latest.attempt > 1 || list.length > 1 ? 'retrying' : 'running';
      else state = latest.status;
    }
    return { gate, name: GATE_NAMES[gate], state, attempts: list.length, latest };
  });
}

export function gateLabel(gate: GateId): string {
  return `${gate} ${GATE_NAMES[gate]}`;
}

/** One sentence a screen reader reads for the whole strip. */
export function stripDescription(cells: readonly GateCell[]): string {
  return cells
    .map((c) => `${gateLabel(c.gate)}: ${c.state}${c.attempts > 1 ? ` (${c.attempts} attempts)` : ''}`)
    .join(', ');
}
