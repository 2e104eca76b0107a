import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { ProjectSettings } from '../../../shared/ipc';
import { MAX_STORIES_IN_PARALLEL } from '../../../shared/limits';
import { AppError } from '../rpc';

const run = promisify(execFile);

const Persisted = z.object({
  projectPath: z.string().nullable().default(null),
  concurrency: z.number().int().min(1).max(MAX_STORIES_IN_PARALLEL).default(4),
  budgetUsd: z.number().nonnegative().nullable().default(10),
  /** null: the preset wave.config.json names. */
  agentPreset: z.enum(['command', 'claude-code', 'scripted']).nullable().default(null),
});
type Persisted = z.infer<typeof Persisted>;

export type SettingsPatch = Partial<Pick<Persisted, 'projectPath' | 'concurrency' | 'budgetUsd' | 'agentPreset'>>;

/**
 * The lead's choices that outlive a session (project, concurrency, budget, agent),
 * kept as a small JSON file in the data dir and written atomically.
 */
export class SettingsStore {
  private readonly file: string;
  private cache: Persisted | null = null;

  /** `defaultProject`: the project until one is chosen (WaveSettings.project, from WAVE_PROJECT). */
  constructor(
    dataDir: string,
    private readonly defaultProject?: string,
  ) {
    this.file = path.join(dataDir, 'settings.json');
  }

  async read(): Promise<Persisted> {
    if (this.cache) return this.cache;
    let raw: unknown = {};
    try {
      raw = JSON.parse(await readFile(this.file, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        // A damaged settings file must not stop the app: fall back to defaults, keep the file.
        raw = {};
      }
    }
    const parsed = Persisted.safeParse(raw);
    this.cache = parsed.success ? parsed.data : Persisted.parse({});
    if (!this.cache.projectPath && this.defaultProject)
      this.cache = { ...this.cache, projectPath: path.resolve(this.defaultProject) };
    return this.cache;
  }

  async update(patch: SettingsPatch): Promise<Persisted> {
    const current = await this.read();
    const next: Persisted = { ...current, ...patch };
    if (patch.projectPath !== undefined && patch.projectPath !== null) {
      next.projectPath = await assertGitRepo(patch.projectPath);
    }
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`);
    await rename(tmp, this.file);
    this.cache = next;
    return next;
  }
}

/** Returns the repository's top-level folder, or explains why the path is not usable. */
export async function assertGitRepo(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    const { stdout } = await run('git', ['-C', abs, 'rev-parse', '--show-toplevel'], { timeout: 10_000 });
    return stdout.trim();
  } catch {
    throw new AppError(
      'invalid_request',
      `${abs} is not a git repository. Choose the folder of the repository the agents should work on (it must contain .git).`,
    );
  }
}

export function toProjectSettings(
  s: Persisted,
  extra: {
    projectName: string | null;
    targetBranch: string | null;
    configProblems: string[];
    agentEnv?: ProjectSettings['agentEnv'];
    configAgentPreset?: ProjectSettings['configAgentPreset'];
  },
): ProjectSettings {
  return {
    projectPath: s.projectPath,
    concurrency: s.concurrency,
    budgetUsd: s.budgetUsd,
    agentPreset: s.agentPreset,
    ...extra,
  };
}
