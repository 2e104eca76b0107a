import { and, eq } from 'drizzle-orm';
import { sessions, storyRuns, type StoryRun } from '../schema';
import type { Store } from '../store';

/** A story run with the stored configuration of its session, or null when either is missing. */
export async function findStoryRunWithSession(
  store: Store,
  sessionId: string,
  storyId: string,
): Promise<{ run: StoryRun | null; sessionConfig: unknown; sessionStatus: string } | null> {
  return store.transaction(async (tx) => {
    const [session] = await tx.select().from(sessions).where(eq(sessions.id, sessionId));
    if (!session) return null;
    const [run] = await tx
      .select()
      .from(storyRuns)
      .where(and(eq(storyRuns.sessionId, sessionId), eq(storyRuns.storyId, storyId)));
    return { run: run ?? null, sessionConfig: session.config, sessionStatus: session.status };
  });
}
