import type { ServiceHandlers } from '../../src/main/core/api/types';
import { AppCore } from '../../src/main/core/app-core';
import { emptySnapshotParts } from './app-snapshot';

const okHealth = async () => ({
  status: 'ok' as const,
  detail: 'fine',
  latencyMs: 1,
  checkedAt: new Date().toISOString(),
});

/**
 * An AppCore with healthy components, no project and no domain services: the bridge is
 * domain-agnostic, so only app.* requests cross it in the tests that use this.
 */
export function createTestAppCore(dataDir: string): AppCore {
  return new AppCore({
    version: '9.9.9',
    dataDir,
    store: { kind: 'pglite', health: okHealth },
    events: { kind: 'in-process', reason: 'REDIS_URL not set', health: okHealth, p99Ms: () => null },
    healthIntervalMs: 60_000,
    handlers: {} as ServiceHandlers,
    snapshotParts: async () => emptySnapshotParts(),
  });
}
