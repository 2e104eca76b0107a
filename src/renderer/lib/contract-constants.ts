import type { IMPORT_CHUNK_CHARS as CONTRACT_IMPORT_CHUNK_CHARS } from '../../shared/ipc/contract';
import type { GATE_IDS as CONTRACT_GATE_IDS, GATE_NAMES as CONTRACT_GATE_NAMES, StoryRunStatus } from '../../shared/ipc/views';

// Copies of the contract's few plain constants the renderer needs as values. Importing
// them from src/shared/ipc would pull zod and every schema into the first bundle (the
// renderer only needs the types; the core validates). The `satisfies` clauses break the
// build when a copy drifts in shape; contract-constants.test.ts compares the values.

export const GATE_IDS = ['gate-0', 'gate-1', 'gate-2', 'gate-3', 'gate-4', 'gate-5', 'gate-6', 'gate-7'] as const satisfies typeof CONTRACT_GATE_IDS;

export const GATE_NAMES = {
  'gate-0': 'preflight',
  'gate-1': 'plan',
  'gate-2': 'develop',
  'gate-3': 'dev-complete',
  'gate-4': 'qa',
  'gate-5': 'acceptance',
  'gate-6': 'merge-prep',
  'gate-7': 'merge',
} as const satisfies typeof CONTRACT_GATE_NAMES;

export const STORY_STATUSES = ['queued', 'running', 'passed', 'failed', 'blocked', 'escalated', 'cancelled', 'stopped', 'merged'] as const satisfies readonly StoryRunStatus[];

export const IMPORT_CHUNK_CHARS: typeof CONTRACT_IMPORT_CHUNK_CHARS = 32 * 1024;
