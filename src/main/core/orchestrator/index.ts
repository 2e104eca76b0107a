/*
 * The orchestrator: sessions → waves → stories → gates, with budget, emergency stop and
 * crash recovery. A story's rules are in workflow/story-workflow.ts, each gate's work in
 * gates/, the session's state in run-state.ts (see the README, "Where a gate's rule lives").
 */
export { Orchestrator } from './orchestrator';
export type {
  OrchestratorDeps,
  OrchestratorOptions,
  ResumeRequest,
  SessionHandle,
  StartSessionRequest,
} from './orchestrator';
export { OrchestratorError, type OrchestratorErrorCode } from './errors';
export { continueSession, type ContinueSessionOptions } from './continue-session';
export { requestSessionStop, countAliveAgents, type RemoteStopOptions, type RemoteStopResult } from './remote-stop';
export { toSessionOutcome, outcomeSucceeded, type SessionOutcome, type StoryOutcome } from './session-outcome';
export {
  SessionViewReader,
  toInterruptedView,
  toSessionSummary,
  toStoryRunView,
  forecastCost,
  type LiveSessionFacts,
} from './session-views';
export {
  ControlFiles,
  killSwitchPath,
  readKillSwitch,
  type SessionRegistration,
  type StopRequest,
  type StopResult,
} from './control-files';
export { BudgetGuard, BUDGET_WARNING_RATIO, type BudgetCrossing } from './budget';
export { ChangeThrottle } from './change-throttle';
export { findDemoQaCheck, findScriptedAgent, resolveAgentPreset } from './agent-presets';
export { AGENT_PRESETS, SessionConfig, parseSessionConfig, type AgentPresetName } from './session-config';
export type { EventSink, StopSummary } from './session-run';
export {
  DOMAIN_OVERRIDE_GRANTED,
  grantDomainOverride,
  latestDomainOverride,
  type DomainOverrideGrant,
} from './domain-override';
export {
  approveMerge,
  isAwaitingMergeApproval,
  MERGE_APPROVAL_WAIT,
  MERGE_APPROVED,
  mergeApprovalState,
  type MergeApproval,
} from './merge-approval';
