import { describe, expect, it } from 'vitest';
import { gateIndex, nextGate, parseGate, pipelineFromConfig, previousGate } from './gates';

describe('gates', () => {
  it('accepts the spellings a lead types and rejects gates outside the pipeline', () => {
    expect(parseGate('gate-3')).toBe('gate-3');
    expect(parseGate('3')).toBe('gate-3');
    expect(parseGate('G7')).toBe('gate-7');
    expect(() => parseGate('gate-8')).toThrow(/gate-0, gate-1/);
    expect(() => parseGate('qa')).toThrow(/not a gate/);
  });

  it('walks the pipeline in order', () => {
    expect(nextGate('gate-0')).toBe('gate-1');
    expect(nextGate('gate-7')).toBeNull();
    expect(previousGate('gate-0')).toBeNull();
    expect(previousGate('gate-4')).toBe('gate-3');
    expect(gateIndex('gate-5')).toBe(5);
  });

  it('uses a shorter pipeline from session config', () => {
    const p = pipelineFromConfig({ gates: ['gate-0', 'gate-1', 'gate-4'] });
    expect(nextGate('gate-1', p)).toBe('gate-4');
    expect(nextGate('gate-4', p)).toBeNull();
    expect(pipelineFromConfig({ gates: ['bogus'] })).toHaveLength(8);
  });
});
