import { describe, expect, it } from 'vitest';
import { buildContextPack, type PackStory } from './pack';
import type { IndexedFile, RepoIndex } from './repo-index';

/* The padding share on a hand-made index: a repository of 100,000 tokens. */

function indexOf(files: Array<[path: string, tokens: number, imports: string[]]>, totalTokens: number): RepoIndex {
  const map = new Map<string, IndexedFile>();
  const importers = new Map<string, Set<string>>();
  for (const [path, tokens, imports] of files) {
    map.set(path, { path, tokens, imports, binary: false });
    for (const i of imports) importers.set(i, new Set([...(importers.get(i) ?? []), path]));
  }
  return { tree: 't', files: map, importers, totalTokens };
}

const story = (modify: string[]): PackStory => ({ story_id: 'S-1', domain: 'app', files: { create: [], modify } });
const domains = { app: ['app/**'] };

describe('a pack cut by the padding share', () => {
  it('stops the files one link further short of 10 % of the repository, lowest-ranked first', () => {
    // a imports b; five more files import b: one link further from a.
    const index = indexOf(
      [
        ['app/a.ts', 1000, ['app/b.ts']],
        ['app/b.ts', 1000, []],
        ...[1, 2, 3, 4, 5].map((n): [string, number, string[]] => [`app/c${n}.ts`, 3000, ['app/b.ts']]),
      ],
      100_000,
    );
    const pack = buildContextPack(index, { story: story(['app/a.ts']), domains, budgetTokens: 50_000 });
    expect(pack.files.map((f) => f.path)).toEqual(['app/a.ts', 'app/b.ts', 'app/c1.ts', 'app/c2.ts']);
    expect(pack.total_tokens / pack.repo_tokens).toBeLessThan(0.1);
    expect(pack.left_out.map((f) => [f.path, f.reason])).toEqual([
      ['app/c3.ts', 'in the story domain'],
      ['app/c4.ts', 'in the story domain'],
      ['app/c5.ts', 'in the story domain'],
    ]);
  });

  it('never cuts what the story names or links to directly: only the budget does', () => {
    const index = indexOf(
      [
        ['app/a.ts', 12_000, ['app/b.ts']],
        ['app/b.ts', 9000, []],
        ['app/c.ts', 500, ['app/b.ts']],
      ],
      100_000,
    );
    const pack = buildContextPack(index, { story: story(['app/a.ts']), domains, budgetTokens: 50_000 });
    expect(pack.files.map((f) => [f.path, f.reason])).toEqual([
      ['app/a.ts', 'named by the story'],
      ['app/b.ts', 'imported by a named file'],
    ]);
    expect(pack.left_out.map((f) => f.path)).toEqual(['app/c.ts']);
  });
});
