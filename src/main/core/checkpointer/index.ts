export {
  Checkpointer,
  COMPLETED_GATE_STATUSES,
  DEFAULT_RETAIN,
  checkRow,
  verifyRow,
  type CheckpointerOptions,
  type GateResultInput,
  type LoadedCheckpoint,
  type RecordedGate,
  type RecoveryPoint,
  type StartGateInput,
  type StoryRecoveryPoints,
} from './checkpointer';
export { CheckpointState, canonicalJson, sha256Hex, verifyState } from './checkpoint-state';
export { CorruptCheckpointError, RecoveryError, describeProblem, type CheckpointProblem } from './errors';
export {
  DEFAULT_PIPELINE,
  gateIndex,
  isGateId,
  nextGate,
  parseGate,
  pipelineFromConfig,
  previousGate,
  runsOnFleet,
} from './gates';
export {
  FAILED_STORY_STATUSES,
  RECOVERY_STRATEGIES,
  RecoveryService,
  STARTED_SESSION_STATUSES,
  UNFINISHED_STORY_STATUSES,
  toInterruptedSession,
  type InterruptedSession,
  type InterruptedStory,
  type RecoverSessionOptions,
  type RecoveryServiceOptions,
  type RecoveryStrategy,
  type SessionRecoveryResult,
  type StoryAction,
  type StoryRecoveryPlan,
  type StrategyChoice,
} from './recovery';
export {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_LEASE_MS,
  SessionLease,
  heartbeatAgeMs,
  judgeOwner,
  type LivenessOptions,
  type OwnerFacts,
  type OwnerVerdict,
  type SessionLeaseOptions,
} from './session-lease';
export { resumeSession } from './resume';
