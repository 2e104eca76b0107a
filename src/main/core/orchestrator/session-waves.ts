import { isSettledStory } from '../../../shared/status';
import type { StoryDocument } from '../../../shared/stories';
import type { Story, StoryRun } from '../../store';
import type { PipelineRepo } from '../../store/repos/pipeline-repo';
import type { Executor } from '../executor';
import { isAwaitingMergeApproval } from './merge-approval';
import type { SessionConfig } from './session-config';
import { decideSessionEnd, type SessionEndFacts } from './session-end';
import type { SessionProjection } from './session-ui';
import type { StoryEnv } from './story-env';
import { StoryPipeline, type StoryStart } from './story-pipeline';

/** What running a session's waves needs from the session. */
export interface WaveRunner {
  sessionId: string;
  projectId: string;
  config: SessionConfig;
  repo: PipelineRepo;
  executor: Executor;
  ui: SessionProjection;
  storyEnv: StoryEnv;
  /** False once the session stops or pauses: no further wave starts. */
  mayStartWave(): boolean;
  log(line: string): void;
}

/** The imported documents of these stories of the session's project, by story id (their titles go to the UI). */
export async function loadStoryDocuments(
  w: Pick<WaveRunner, 'sessionId' | 'projectId' | 'repo' | 'ui'>,
  ids: string[],
): Promise<Map<string, StoryDocument>> {
  const rows = await w.repo.stories(w.projectId, ids);
  // Keyed like story run ids (`<session>:<story>`).
  for (const r of rows) w.ui.setMeta(`${w.sessionId}:${r.storyId}`, { title: r.title, domain: r.domain });
  return new Map(rows.map((r) => [r.storyId, storyDocumentOf(r)]));
}

/** A story's imported document with the fields the store keeps beside it. */
export function storyDocumentOf(r: Story): StoryDocument {
  return { ...(r.content as StoryDocument), story_id: r.storyId, domain: r.domain, dependencies: r.dependencies };
}

async function runStory(
  w: WaveRunner,
  run: StoryRun | undefined,
  story: StoryDocument | null,
  start: StoryStart,
): Promise<void> {
  if (!run) return;
  try {
    if (!story)
      await w.repo.markFailed(
        run.id,
        null,
        `Story ${run.storyId} is no longer imported in this project; import it again and resume.`,
      );
    else await new StoryPipeline(w.storyEnv, run, story, start).execute();
  } finally {
    await w.ui.flushStory(run.id);
  }
}

/**
 * Runs the waves in order, each wave's stories side by side in the executor's pool (each
 * from where `starts` says), until the waves end or the session may start no more.
 * Returns the errors stories stopped on (a story's own failure is its state, not an error).
 */
export async function runWaves(w: WaveRunner, starts: Map<string, StoryStart>): Promise<string[]> {
  const errors: string[] = [];
  for (const wave of w.config.waves) {
    if (!w.mayStartWave()) break;
    const ids = wave.storyIds.filter((id) => starts.has(id));
    if (ids.length === 0) continue;
    w.ui.currentWave = wave.number;
    w.ui.sessionChanged();
    const byId = new Map((await w.repo.storyRunsIn(w.sessionId, ids)).map((r) => [r.storyId, r]));
    const docs = await loadStoryDocuments(w, ids);
    const tasks = ids.map((id) =>
      w.executor.pool.submit(() => runStory(w, byId.get(id)!, docs.get(id) ?? null, starts.get(id)!), { id }),
    );
    const results = await Promise.allSettled(tasks);
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        const e = r.reason as { code?: string; message?: string };
        if (e?.code === 'pool_cancelled' || e?.code === 'pool_closed') return;
        errors.push(`${ids[i]}: ${e?.message ?? String(e)}`);
        w.log(`story ${ids[i]} stopped on an error: ${e?.message ?? String(e)}`);
      }
    });
  }
  w.ui.currentWave = null;
  return errors;
}

/** Records how the session ended when its waves are over without a stop, as the end policy decides, and tells the lead. */
export async function recordSessionEnd(
  w: WaveRunner,
  f: Pick<SessionEndFacts, 'errors' | 'pausedForBudget' | 'budget'>,
): Promise<void> {
  const runs = await w.repo.storyRunsOf(w.sessionId);
  const unfinished = runs.filter((r) => !isSettledStory(r.status));
  const dependencies = new Map<string, string[]>();
  if (unfinished.some((r) => isAwaitingMergeApproval(r))) {
    const docs = await loadStoryDocuments(
      w,
      unfinished.map((r) => r.storyId),
    );
    for (const [id, doc] of docs) dependencies.set(id, doc.dependencies ?? []);
  }
  const end = decideSessionEnd(w.sessionId, { ...f, runs, targetBranch: w.config.targetBranch, dependencies });
  await w.repo.endSession(w.sessionId, end.status, end.reason, {
    actor: 'orchestrator',
    action: `session.${end.status}`,
    subjectType: 'session',
    subjectId: w.sessionId,
    detail: { reason: end.reason },
  });
  if (end.notice) w.ui.notice(end.notice.kind, end.notice.title, end.reason);
}
