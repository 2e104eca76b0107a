import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex, verifyState, type CheckpointState } from './checkpoint-state';

const state: CheckpointState = {
  v: 1,
  sessionId: 's',
  storyRunId: 's:S-1',
  storyId: 'S-1',
  epoch: 0,
  gate: 'gate-2',
  gateStatus: 'passed',
  attempt: 1,
  lastPassedGate: 'gate-2',
  nextGate: 'gate-3',
  branch: 'wave/a/S-1',
  worktreePath: null,
  baseSha: null,
  headSha: 'abc',
  costUsd: 0.25,
  data: { plan: ['a', 'b'], nested: { z: 1, a: 2 } },
};

describe('checkpoint state', () => {
  it('serialises the same value to the same bytes whatever the key order', () => {
    const shuffled = JSON.parse(JSON.stringify({ ...state, data: { nested: { a: 2, z: 1 }, plan: ['a', 'b'] } }));
    expect(canonicalJson(shuffled)).toBe(canonicalJson(state));
  });

  it('accepts an intact state and names what is wrong with a tampered one', () => {
    const hash = sha256Hex(canonicalJson(state));
    expect(verifyState(JSON.parse(JSON.stringify(state)), hash).ok).toBe(true);
    const tampered = { ...state, costUsd: 0 };
    const r = verifyState(tampered, hash);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/hash mismatch/);
  });

  it('rejects a state with a valid hash that breaks the schema, naming the field', () => {
    const bad = { ...state, gate: 'qa' };
    const r = verifyState(bad, sha256Hex(canonicalJson(bad)));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/at gate/);
  });
});
