import { eq, inArray } from 'drizzle-orm';
import { projects, type NewProject, type Project } from '../schema';
import type { QueryRunner } from './runner';

/** The `projects` table: one row per repository WAVE works on. */
export class ProjectsRepo {
  constructor(private readonly run: QueryRunner) {}

  async byId(projectId: string): Promise<Project | null> {
    const [row] = await this.run.read((q) => q.select().from(projects).where(eq(projects.id, projectId)));
    return row ?? null;
  }

  /** The names of these projects by id (unknown ids are absent). */
  async namesOf(projectIds: readonly string[]): Promise<Map<string, string>> {
    if (projectIds.length === 0) return new Map();
    const rows = await this.run.read((q) =>
      q
        .select({ id: projects.id, name: projects.name })
        .from(projects)
        .where(inArray(projects.id, [...new Set(projectIds)])),
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** The project of a repository path; `forUpdate` locks its row (inside a transaction). */
  async byRepoPath(repoPath: string, opts: { forUpdate?: boolean } = {}): Promise<Project | null> {
    const rows = await this.run.read((q) => {
      const base = q.select().from(projects).where(eq(projects.repoPath, repoPath));
      return opts.forUpdate ? base.for('update') : base;
    });
    return rows[0] ?? null;
  }

  async insert(row: NewProject): Promise<Project> {
    const [inserted] = await this.run.write((q) => q.insert(projects).values(row).returning());
    return inserted!;
  }

  async update(projectId: string, set: Partial<Omit<NewProject, 'id'>>): Promise<Project> {
    const [updated] = await this.run.write((q) =>
      q.update(projects).set(set).where(eq(projects.id, projectId)).returning(),
    );
    return updated!;
  }
}
