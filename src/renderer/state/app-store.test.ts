import { beforeEach, describe, expect, it } from 'vitest';
import { applyEvent, applySnapshot, useAppStore } from './app-store';

const health = (detail: string) => ({
  store: { kind: 'pglite' as const, status: 'ok' as const, detail, latencyMs: 1, checkedAt: 'now' },
  events: { kind: 'in-process' as const, status: 'ok' as const, detail: 'ok', latencyMs: 0, checkedAt: 'now', reason: 'REDIS_URL not set', p99Ms: null },
});
const info = { name: 'w', version: '1', dataDir: '/d', transport: 'websocket' as const, pid: 1, platform: 'p', startedAt: 'now', health: health('snap') };

describe('snapshot + sequenced events', () => {
  beforeEach(() => applySnapshot({ seq: 10, info }));

  it('applies the next event in sequence', () => {
    expect(applyEvent('app.health', health('live'), { seq: 11 })).toBe(true);
    expect(useAppStore.getState().health?.store.detail).toBe('live');
    expect(useAppStore.getState().seq).toBe(11);
  });

  it('skips an event already folded into the snapshot', () => {
    expect(applyEvent('app.health', health('old'), { seq: 9 })).toBe(true);
    expect(useAppStore.getState().health?.store.detail).toBe('snap');
  });

  it('reports a gap instead of applying out of order', () => {
    expect(applyEvent('app.health', health('future'), { seq: 13 })).toBe(false);
    expect(useAppStore.getState().health?.store.detail).toBe('snap');
    expect(useAppStore.getState().seq).toBe(10);
  });
});
