import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContextPack } from './pack';

/**
 * Writes a pack where the agent finds it, `<worktree>/.wave/context/<story>[-<gate>].json`,
 * and returns its path (given to the agent as WAVE_CONTEXT_FILE). `.wave/` holds a
 * `.gitignore` of `*`, so nothing in it is ever committed, whatever the agent adds.
 */
export function writeContextPack(worktreePath: string, pack: ContextPack, gate?: string): string {
  const dir = path.join(worktreePath, '.wave');
  mkdirSync(path.join(dir, 'context'), { recursive: true });
  writeFileSync(path.join(dir, '.gitignore'), '*\n');
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  const file = path.join(dir, 'context', `${safe(pack.story)}${gate ? `-${safe(gate)}` : ''}.json`);
  const json = {
    files: pack.files.map((f) => ({ path: f.path, tokens: f.tokens, reason: f.reason })),
    total_tokens: pack.total_tokens,
    budget_tokens: pack.budget_tokens,
    repo_tokens: pack.repo_tokens,
    story: pack.story,
    tree: pack.tree,
    tokenizer: pack.tokenizer,
    left_out: pack.left_out,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}

/** The pack as markdown for a prompt: what to read first, and why. */
export function renderContextPackMarkdown(pack: ContextPack): string {
  const share = pack.repo_tokens > 0 ? ((pack.total_tokens / pack.repo_tokens) * 100).toFixed(1) : '0';
  const lines = [
    `## Context for ${pack.story}`,
    '',
    `These ${pack.files.length} files (${pack.total_tokens} tokens, ${share}% of the repository, budget ${pack.budget_tokens}) are what this story needs. Read them first; open other files only when they are not enough.`,
    '',
    ...pack.files.map((f) => `- \`${f.path}\` (${f.tokens} tokens): ${f.reason}`),
  ];
  if (pack.left_out.length)
    lines.push(
      '',
      `${pack.left_out.length} more related files did not fit the budget (first: ${pack.left_out
        .slice(0, 5)
        .map((f) => `\`${f.path}\``)
        .join(', ')}).`,
    );
  return `${lines.join('\n')}\n`;
}
