/**
 * A stored session config (sessions.config) for a one-wave session on `repoPath` that
 * targets main with the command preset, every gate, no QA commands and no domains.
 */
export function testSessionConfig(o: {
  repoPath: string;
  projectName: string;
  prdId: string;
  storyIds: string[];
}): Record<string, unknown> {
  return {
    v: 1,
    repoPath: o.repoPath,
    projectName: o.projectName,
    prdId: o.prdId,
    prdHash: 'x',
    targetBranch: 'main',
    concurrency: 1,
    agent: { preset: 'command', command: null },
    qa: [],
    domains: {},
    maxRetries: 1,
    timeoutMinutes: 5,
    mergeStrategy: 'merge-commit',
    copyFiles: [],
    setup: null,
    waves: [{ number: 1, storyIds: o.storyIds }],
    gates: ['gate-0', 'gate-1', 'gate-2', 'gate-3', 'gate-4', 'gate-5', 'gate-6', 'gate-7'],
  };
}
