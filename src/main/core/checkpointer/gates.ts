import { GATE_IDS } from '../../../shared/status';
import type { GateId } from '../../store/schema';

/** The default pipeline, gate-0 … gate-7. */
export const DEFAULT_PIPELINE: readonly GateId[] = GATE_IDS;

const GATE_RE = /^gate-(\d{1,2})$/;

export function isGateId(v: unknown): v is GateId {
  return typeof v === 'string' && GATE_RE.test(v);
}

/** Parses a user-typed gate ("gate-3", "3", "G3"); throws a message that says what is accepted. */
export function parseGate(input: string, pipeline: readonly GateId[] = DEFAULT_PIPELINE): GateId {
  const m = /^(?:gate-|g)?(\d{1,2})$/i.exec(input.trim());
  const gate = m ? (`gate-${Number(m[1])}` as GateId) : null;
  if (!gate || !pipeline.includes(gate)) {
    throw new Error(`"${input}" is not a gate of this pipeline; use one of ${pipeline.join(', ')}.`);
  }
  return gate;
}

export function gateIndex(gate: GateId, pipeline: readonly GateId[] = DEFAULT_PIPELINE): number {
  const i = pipeline.indexOf(gate);
  if (i < 0) throw new Error(`${gate} is not a gate of this pipeline (${pipeline.join(', ')}).`);
  return i;
}

/** The gate after `gate`, or null after the last one. */
export function nextGate(gate: GateId, pipeline: readonly GateId[] = DEFAULT_PIPELINE): GateId | null {
  return pipeline[gateIndex(gate, pipeline) + 1] ?? null;
}

/** The gate before `gate`, or null before the first one. */
export function previousGate(gate: GateId, pipeline: readonly GateId[] = DEFAULT_PIPELINE): GateId | null {
  const i = gateIndex(gate, pipeline);
  return i > 0 ? (pipeline[i - 1] ?? null) : null;
}

/**
 * Whether a session's frozen config says it runs on the fleet (`wave run --fleet`, the window's
 * "Run on the fleet"): its story runs belong to `wave worker` processes, never to this process.
 */
export function runsOnFleet(config: unknown): boolean {
  return (config as { fleet?: unknown } | null)?.fleet === true;
}

/** A pipeline from session config (`config.gates: ["gate-0", …]`) or the default. */
export function pipelineFromConfig(config: unknown): readonly GateId[] {
  const gates = (config as { gates?: unknown } | null)?.gates;
  if (Array.isArray(gates) && gates.length > 0 && gates.every(isGateId)) return gates;
  return DEFAULT_PIPELINE;
}
