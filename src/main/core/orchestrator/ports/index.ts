import type { StoryDocument } from '../../../../shared/stories';
import type { StoryRun } from '../../../store';
import type { GatePorts } from '../gates/types';
import type { StoryEnv } from '../story-env';
import { agentPort } from './agent-phase';
import { commandPort } from './commands';
import { domainPort } from './domain-check';
import { mergePort, worktreePort } from './worktree';

/** The ports a story's gates work through, bound to the story (its run row may change: gate-0 sets the worktree). */
export function storyPorts(
  env: StoryEnv,
  story: StoryDocument,
  run: () => StoryRun,
  worktreePath: () => string,
  timeoutMs: number,
): GatePorts {
  return {
    agent: agentPort(env, story, run, worktreePath, timeoutMs),
    review: { pending: () => env.decisions.pendingReview(run()) },
    commands: commandPort(env, story.story_id, worktreePath, timeoutMs),
    domain: domainPort(env, story, run, worktreePath),
    worktree: worktreePort(env, run, worktreePath),
    merger: mergePort(env, story.story_id),
    preflight: {
      assertPrdApproved: async () => {
        await env.prds.assertApproved(env.config.prdId, env.config.agent.preset);
      },
      storyRuns: () => env.repo.storyRunsOf(env.sessionId),
    },
  };
}

export { commandEnv } from './commands';
export { restoreWorktree, removeMergedWorktree } from './worktree';
