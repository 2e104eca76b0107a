import { and, eq, inArray } from 'drizzle-orm';
import { stories, type NewStory, type Story } from '../schema';
import type { QueryRunner } from './runner';

/** The `stories` table: imported stories, one row per (project, story id). */
export class StoriesRepo {
  constructor(private readonly run: QueryRunner) {}

  /** One story of a project; `forUpdate` locks its row (inside a transaction). */
  async byId(projectId: string, storyId: string, opts: { forUpdate?: boolean } = {}): Promise<Story | null> {
    const rows = await this.run.read((q) => {
      const base = q
        .select()
        .from(stories)
        .where(and(eq(stories.projectId, projectId), eq(stories.storyId, storyId)));
      return opts.forUpdate ? base.for('update') : base;
    });
    return rows[0] ?? null;
  }

  /** The stories with these ids, in one project or, with projectId null, in any. */
  withIds(projectId: string | null, storyIds: readonly string[]): Promise<Story[]> {
    if (storyIds.length === 0) return Promise.resolve([]);
    const where = projectId
      ? and(eq(stories.projectId, projectId), inArray(stories.storyId, [...storyIds]))
      : inArray(stories.storyId, [...storyIds]);
    return this.run.read((q) => q.select().from(stories).where(where));
  }

  /** Every story of a project. */
  ofProject(projectId: string): Promise<Story[]> {
    return this.run.read((q) => q.select().from(stories).where(eq(stories.projectId, projectId)));
  }

  async insert(row: NewStory): Promise<void> {
    await this.run.write((q) => q.insert(stories).values(row));
  }

  async update(projectId: string, storyId: string, set: Partial<NewStory>): Promise<void> {
    await this.run.write((q) =>
      q
        .update(stories)
        .set(set)
        .where(and(eq(stories.projectId, projectId), eq(stories.storyId, storyId))),
    );
  }

  /** Links these stories of a project to a PRD. */
  async linkToPrd(projectId: string, storyIds: readonly string[], prdId: string): Promise<void> {
    if (storyIds.length === 0) return;
    await this.run.write((q) =>
      q
        .update(stories)
        .set({ prdId })
        .where(and(eq(stories.projectId, projectId), inArray(stories.storyId, [...storyIds]))),
    );
  }
}
