import type { Store, StoryRun } from '../../store';
import { repositories } from '../../store/repos';
import { OrchestratorError } from '../orchestrator/errors';
import { parseSessionConfig, type SessionConfig } from '../orchestrator/session-config';

/**
 * A story's run in a session with the session's stored configuration and status, read in one
 * transaction; not_found naming what is missing (the session, or the story in it).
 */
export async function sessionStory(
  store: Store,
  sessionId: string,
  storyId: string,
): Promise<{ run: StoryRun; config: SessionConfig; sessionStatus: string }> {
  const found = await repositories(store).transaction(async (tx) => {
    const session = await tx.sessions.byId(sessionId);
    return session ? { session, run: await tx.storyRuns.ofStory(sessionId, storyId) } : null;
  });
  if (!found)
    throw new OrchestratorError('not_found', `Session ${sessionId} does not exist. List sessions with: wave status`);
  if (!found.run) throw new OrchestratorError('not_found', `Story ${storyId} is not part of session ${sessionId}.`);
  return {
    run: found.run,
    config: parseSessionConfig(sessionId, found.session.config),
    sessionStatus: found.session.status,
  };
}
