/** Where a bad checkpoint lives, so a person can find it. */
export interface CheckpointProblem {
  sessionId: string;
  storyId: string;
  storyRunId: string;
  gate: string;
  checkpointId: number;
  reason: string;
}

/** A stored checkpoint failed its hash or schema check: it is never resumed from. */
export class CorruptCheckpointError extends Error {
  override readonly name = 'CorruptCheckpointError';
  constructor(readonly problem: CheckpointProblem) {
    super(describeProblem(problem));
  }
}

export function describeProblem(p: CheckpointProblem): string {
  return (
    `Checkpoint ${p.checkpointId} of session ${p.sessionId}, story ${p.storyId}, ${p.gate} is corrupted: ${p.reason}. ` +
    `It was not used. Resume that story from an earlier gate (wave resume ${p.sessionId} --strategy resume_from_gate --gate <gate-N>) or restart it (--strategy restart).`
  );
}

/** Nothing to act on: unknown id, or a state that does not allow the request. */
export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';
  constructor(
    message: string,
    readonly code:
      | 'not_found'
      | 'busy'
      | 'finished'
      | 'no_recovery_point'
      | 'bad_request'
      | 'stale'
      | 'fleet' = 'bad_request',
  ) {
    super(message);
  }
}
