export type OrchestratorErrorCode = 'not_found' | 'precondition_failed' | 'conflict' | 'invalid_request';

/** A request the orchestrator refuses; the message says what is wrong and what to do. */
export class OrchestratorError extends Error {
  override readonly name = 'OrchestratorError';
  constructor(
    readonly code: OrchestratorErrorCode,
    message: string,
  ) {
    super(message);
  }
}
