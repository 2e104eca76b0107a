import { writeFileSync } from 'node:fs';
import { excludeFromGit } from '../executor/git-exclude';
import { SHARED_DOMAIN } from '../executor/domain-boundaries';
import { claudeEditRules, type ClaudeEditRules } from './claude-permissions';
import { buildContextPack, type ContextPack, type PackStory } from './pack';
import { renderContextPackMarkdown, writeContextPack } from './pack-file';
import { ContextIndexer, type RepoIndex } from './repo-index';

/**
 * One indexer for the whole process: its caches (by git tree, by blob) serve every story of
 * every session and the PRD review's forecast.
 */
export const sharedContextIndexer = new ContextIndexer();

export interface StoryContextRequest {
  /** The story's worktree: the pack is built from its HEAD tree and written under its `.wave/`. */
  worktreePath: string;
  story: PackStory;
  /** wave.config.json domains (SHARED included). */
  domains: Record<string, string[]>;
  budgetTokens: number;
  gate: string;
  indexer?: ContextIndexer;
}

export interface StoryContext {
  pack: ContextPack;
  /** WAVE_CONTEXT_FILE: the pack as JSON. */
  file: string;
  /** The same pack as markdown, beside the JSON and in the prompt. */
  markdown: string;
  markdownFile: string;
  /** Edit rules for the story's domain (the claude-code preset writes them as Claude Code settings). */
  editRules: ClaudeEditRules | null;
}

/** The globs a story may change: its domain's and SHARED's. */
export function storyGlobs(domains: Record<string, string[]>, domain: string): string[] {
  return [...(domains[domain] ?? []), ...(domain === SHARED_DOMAIN ? [] : (domains[SHARED_DOMAIN] ?? []))];
}

/**
 * Builds a story's context pack for one agent phase from its worktree's HEAD (cached by tree
 * hash) and writes it where the agent finds it: `<worktree>/.wave/context/<story>-<gate>.json`
 * and `.md`, with `.wave/` in the repository's exclude file so nothing of it is committed.
 */
export async function prepareStoryContext(req: StoryContextRequest): Promise<StoryContext> {
  const indexer = req.indexer ?? sharedContextIndexer;
  const index: RepoIndex = await indexer.index(req.worktreePath);
  const pack = buildContextPack(index, { story: req.story, domains: req.domains, budgetTokens: req.budgetTokens });
  await excludeFromGit(req.worktreePath);
  const file = writeContextPack(req.worktreePath, pack, req.gate);
  const markdown = renderContextPackMarkdown(pack);
  const markdownFile = file.replace(/\.json$/, '.md');
  writeFileSync(markdownFile, markdown);
  // No domains configured: no boundary to enforce.
  const editRules = Object.keys(req.domains).length
    ? claudeEditRules(index.files.keys(), storyGlobs(req.domains, req.story.domain))
    : null;
  return { pack, file, markdown, markdownFile, editRules };
}
