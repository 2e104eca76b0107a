/**
 * Status values and gate ids, defined once for the store schema, the IPC contract, the
 * checkpointer, the core and the window. Plain values, no zod: the renderer imports them
 * without pulling the contract's schemas into its first bundle.
 */

/** Gate ids of the default pipeline; a project may configure fewer, always named `gate-N`. */
export const GATE_IDS = ['gate-0', 'gate-1', 'gate-2', 'gate-3', 'gate-4', 'gate-5', 'gate-6', 'gate-7'] as const;
export type DefaultGateId = (typeof GATE_IDS)[number];

/** What each gate of the default pipeline does, as the window and the CLI name it. */
export const GATE_NAMES = {
  'gate-0': 'preflight',
  'gate-1': 'plan',
  'gate-2': 'develop',
  'gate-3': 'dev-complete',
  'gate-4': 'qa',
  'gate-5': 'acceptance',
  'gate-6': 'merge-prep',
  'gate-7': 'merge',
} as const satisfies Record<DefaultGateId, string>;

export const PRD_STATUSES = ['draft', 'approved', 'rejected', 'void'] as const;

// --- Sessions -------------------------------------------------------------------------

export const SESSION_STATUSES = ['created', 'running', 'paused', 'stopping', 'completed', 'failed', 'stopped'] as const;
export type SessionStatusValue = (typeof SESSION_STATUSES)[number];

/** A session that has not ended: a process may still drive it, and STOP still applies to it. */
export const ACTIVE_SESSION_STATUSES: readonly SessionStatusValue[] = ['created', 'running', 'paused', 'stopping'];
/** A session that has ended; nothing runs for it any more. */
export const FINAL_SESSION_STATUSES: readonly SessionStatusValue[] = ['completed', 'failed', 'stopped'];

export function isActiveSession(status: string): boolean {
  return (ACTIVE_SESSION_STATUSES as readonly string[]).includes(status);
}

// --- Story runs -----------------------------------------------------------------------

export const STORY_RUN_STATUSES = [
  'queued',
  'running',
  'passed',
  'failed',
  'blocked',
  'escalated',
  'cancelled',
  'stopped',
  'merged',
] as const;
export type StoryRunStatusValue = (typeof STORY_RUN_STATUSES)[number];

/** Done: the story's work landed (merged, or passed every gate of a pipeline without a merge gate). */
export const DONE_STORY_STATUSES: readonly StoryRunStatusValue[] = ['passed', 'merged'];
/** Failed: its gates gave up (failed) or a person must decide (escalated). */
export const FAILED_STORY_STATUSES: readonly StoryRunStatusValue[] = ['failed', 'escalated'];
/** Needs no more work in this session: done, or cancelled. */
export const SETTLED_STORY_STATUSES: readonly StoryRunStatusValue[] = [...DONE_STORY_STATUSES, 'cancelled'];
/** Final: the run ended and no gate of it runs again unless a person resumes it on purpose. */
export const FINAL_STORY_STATUSES: readonly StoryRunStatusValue[] = [
  ...DONE_STORY_STATUSES,
  ...FAILED_STORY_STATUSES,
  'cancelled',
];
/** Not final: queued, running, or halted (stopped, blocked) where a resume picks it up. */
export const UNFINISHED_STORY_STATUSES: readonly StoryRunStatusValue[] = STORY_RUN_STATUSES.filter(
  (s) => !FINAL_STORY_STATUSES.includes(s),
);

/** Needs a person: failed, escalated, or blocked (a dependency, an approval, an out-of-domain change). */
export const NEEDS_ATTENTION_STORY_STATUSES: readonly StoryRunStatusValue[] = [...FAILED_STORY_STATUSES, 'blocked'];

export function needsAttention(status: string): boolean {
  return (NEEDS_ATTENTION_STORY_STATUSES as readonly string[]).includes(status);
}
export function isDoneStory(status: string): boolean {
  return (DONE_STORY_STATUSES as readonly string[]).includes(status);
}
export function isSettledStory(status: string): boolean {
  return (SETTLED_STORY_STATUSES as readonly string[]).includes(status);
}
export function isFinalStory(status: string): boolean {
  return (FINAL_STORY_STATUSES as readonly string[]).includes(status);
}

// --- Gate runs ------------------------------------------------------------------------

export const GATE_RUN_STATUSES = ['running', 'passed', 'failed', 'skipped'] as const;
export type GateRunStatusValue = (typeof GATE_RUN_STATUSES)[number];
/** How a gate ended, as a checkpoint records it. */
export const ENDED_GATE_STATUSES = ['passed', 'failed', 'skipped'] as const satisfies readonly GateRunStatusValue[];
/** A gate whose work is done: resuming starts after it. */
export const COMPLETED_GATE_STATUSES = ['passed', 'skipped'] as const satisfies readonly GateRunStatusValue[];
/** What the window shows for one attempt: a gate run's status, or `stopped` when an emergency stop cut it short. */
export const GATE_ATTEMPT_STATUSES = [...GATE_RUN_STATUSES, 'stopped'] as const;
