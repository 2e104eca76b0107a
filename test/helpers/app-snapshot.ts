import type { AppSnapshot } from '../../src/shared/ipc';

/** The services' part of app.snapshot before any project is open: default settings, nothing run yet. */
export function emptySnapshotParts(): Omit<AppSnapshot, 'seq' | 'info'> {
  return {
    settings: {
      projectPath: null,
      projectName: null,
      targetBranch: null,
      concurrency: 4,
      budgetUsd: 10,
      agentPreset: 'claude-code',
      configProblems: [],
    },
    session: null,
    sessions: [],
    prds: [],
    interrupted: [],
  };
}
