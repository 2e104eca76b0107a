/**
 * Errors raised by the parallel executor. Each carries a stable `code` the orchestrator
 * can branch on, and a message written for a person: what happened, to what, what next.
 */
export type ExecutorErrorCode =
  | 'invalid_name'
  | 'invalid_config'
  | 'not_a_repository'
  | 'branch_not_owned'
  | 'branch_missing'
  | 'branch_exists'
  | 'snapshot_missing'
  | 'worktree_missing'
  | 'worktree_setup_failed'
  | 'unsafe_path'
  | 'git_failed'
  | 'lock_timeout'
  | 'merge_conflict'
  | 'dirty_worktree'
  | 'target_checked_out_dirty'
  | 'target_moved'
  | 'not_fast_forward'
  | 'branch_changed'
  | 'spawn_failed'
  | 'pool_closed'
  | 'pool_cancelled';

export class ExecutorError extends Error {
  constructor(
    readonly code: ExecutorErrorCode,
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ExecutorError';
  }
}
