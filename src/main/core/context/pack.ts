import path from 'node:path';
import type { StoryDocument } from '../../../shared/stories';
import { domainMatcher, SHARED_DOMAIN } from '../executor/domain-boundaries';
import type { RepoIndex } from './repo-index';
import { TOKENIZER } from './tokens';

/** Why a file is in a pack, in rank order. */
export const PACK_REASONS = [
  'named by the story',
  'imported by a named file',
  'imports a named file',
  'next to a file to create',
  'test of a named file',
  'in the story domain',
  'shared',
] as const;
export type PackReason = (typeof PACK_REASONS)[number];

export interface ContextPackFile {
  path: string;
  tokens: number;
  reason: PackReason;
}

/** The pack handed to an agent (WAVE_CONTEXT_FILE), as JSON. */
export interface ContextPack {
  story: string;
  tree: string;
  files: ContextPackFile[];
  total_tokens: number;
  budget_tokens: number;
  repo_tokens: number;
  /** Ranked files that did not fit the budget. */
  left_out: Array<{ path: string; tokens: number; reason: PackReason }>;
  tokenizer: string;
}

export type PackStory = Pick<StoryDocument, 'story_id' | 'domain' | 'files' | 'context'>;

export interface PackRequest {
  story: PackStory;
  /** wave.config.json domains (name → globs, SHARED included). */
  domains: Record<string, string[]>;
  budgetTokens: number;
  /** The share of the repository's tokens the files one link further may fill the pack to (default PADDING_SHARE). */
  paddingShare?: number;
}

/**
 * Files one link further (ranks 'in the story domain' and 'shared') are padding: they enter a
 * pack only while it stays under this share of the repository's tokens (the goal: an agent is
 * pointed at under 10 % of the codebase). The files the story names, their direct links and
 * tests are bounded by the budget alone, so a story that touches much still gets all of it.
 * In a small repository (10 % under PADDING_MIN_TOKENS) the padding may fill PADDING_MIN_TOKENS.
 */
export const PADDING_SHARE = 0.1;
export const PADDING_MIN_TOKENS = 4000;
const PADDING: ReadonlySet<PackReason> = new Set(['in the story domain', 'shared']);

const TEST_FILE = [
  /(^|\/)(tests?|__tests__|spec)\//,
  /\.(test|spec)\.[cm]?[jt]sx?$/,
  /(^|\/)test_[^/]+\.py$/,
  /_test\.(py|go)$/,
];

export function isTestFile(file: string): boolean {
  return TEST_FILE.some((r) => r.test(file));
}

function stem(file: string): string {
  return path.posix.basename(file).replace(/\.[^.]+$/, '');
}

/** Whether `test` is, by its name, the test of `file` (x.test.ts, test_x.py, x_test.go…). */
function testNameMatches(test: string, file: string): boolean {
  const s = stem(file);
  const t = path.posix.basename(test);
  return (
    t.startsWith(`${s}.test.`) ||
    t.startsWith(`${s}.spec.`) ||
    t === `test_${s}.py` ||
    t === `${s}_test.py` ||
    t === `${s}_test.go`
  );
}

/** A file linked to more files than this is a hub: the pack does not go one link further through it. */
const HUB_LINKS = 10;

function pathsOf(list: unknown): string[] {
  return (Array.isArray(list) ? list : [])
    .map((f) => (typeof f === 'string' ? f : (f as { path?: unknown })?.path))
    .filter((p): p is string => typeof p === 'string' && p !== '');
}

/**
 * Ranks the files an agent needs for a story and cuts them to the token budget: the files
 * the story names (modify, read_files, and any it creates that exist already), their direct
 * imports and importers, the folders of files it creates, their tests, then the files of its
 * domain, then of SHARED, linked to those (the whole domain only when the story touches no
 * existing file). Within a rank, files closer to the named ones (more links) come first. A
 * file that does not fit is left out (and listed); smaller ones after it may fit. The files of
 * those last two ranks (padding) also stop short of PADDING_SHARE of the repository.
 */
export function buildContextPack(index: RepoIndex, req: PackRequest): ContextPack {
  const text = (p: string) => {
    const f = index.files.get(p);
    return f && !f.binary ? f : null;
  };
  const ranked = new Map<string, PackReason>();
  const add = (p: string, reason: PackReason) => {
    if (!ranked.has(p) && text(p)) ranked.set(p, reason);
  };
  const files = req.story.files ?? { create: [], modify: [] };
  const create = pathsOf(files.create);
  const named = [...pathsOf(files.modify), ...pathsOf(req.story.context?.read_files), ...create].filter((p) => text(p));
  for (const p of named) add(p, 'named by the story');

  const links = new Map<string, number>();
  const bump = (p: string) => links.set(p, (links.get(p) ?? 0) + 1);
  const byLinks = (list: Iterable<string>) =>
    [...list].sort((a, b) => (links.get(b) ?? 0) - (links.get(a) ?? 0) || a.localeCompare(b));

  const imported = new Set<string>();
  const importing = new Set<string>();
  for (const p of named) {
    for (const i of index.files.get(p)?.imports ?? []) {
      imported.add(i);
      bump(i);
    }
    for (const i of index.importers.get(p) ?? []) {
      importing.add(i);
      bump(i);
    }
  }
  for (const p of byLinks([...imported].filter((p) => !isTestFile(p)))) add(p, 'imported by a named file');
  for (const p of byLinks([...importing].filter((p) => !isTestFile(p)))) add(p, 'imports a named file');

  const newDirs = new Set(create.filter((p) => !text(p)).map((p) => path.posix.dirname(p)));
  if (newDirs.size)
    for (const p of [...index.files.keys()].sort())
      if (newDirs.has(path.posix.dirname(p)) && !isTestFile(p)) add(p, 'next to a file to create');

  // A test found by its name belongs to the same domain as the file (x_test.go in another
  // domain is another x's test).
  const owners = Object.entries(req.domains).map(([name, globs]) => [name, domainMatcher(globs)] as const);
  const owner = (p: string) => owners.find(([, m]) => m(p))?.[0] ?? null;
  const targets = [...named, ...create];
  const tests = [...index.files.keys()]
    .filter(isTestFile)
    .filter((t) => importing.has(t) || targets.some((f) => testNameMatches(t, f) && owner(t) === owner(f)));
  for (const p of tests.sort()) add(p, 'test of a named file');

  // Then the domain's and SHARED's files one link further: those that import or are imported by
  // a file linked to the story (an import or importer of a named file), most links first; not through a hub (a barrel, a utility everything
  // imports), whose neighbours say nothing about the story. Files linked to nothing the story
  // touches are left to the agent to open (padding the pack with them up to the budget would
  // make it most of the domain) unless the story touches nothing yet: then the whole domain.
  const orientation = ranked.size === 0;
  const neighbours = (p: string) => [...(index.files.get(p)?.imports ?? []), ...(index.importers.get(p) ?? [])];
  // A new file's neighbours are its folder; one link further is two links from it, except in Go,
  // where the package is the unit: what imports the package imports the new file as well.
  const expand = (p: string, reason: PackReason) =>
    reason === 'imported by a named file' ||
    reason === 'imports a named file' ||
    (reason === 'next to a file to create' && p.endsWith('.go'));
  for (const [p, reason] of ranked)
    if (expand(p, reason)) {
      const next = neighbours(p);
      if (next.length <= HUB_LINKS) for (const i of next) bump(i);
    }
  const near = (p: string) => orientation || (links.get(p) ?? 0) > 0;
  const inDomain = req.domains[req.story.domain] ? domainMatcher(req.domains[req.story.domain]!) : null;
  const inShared = req.domains[SHARED_DOMAIN] ? domainMatcher(req.domains[SHARED_DOMAIN]!) : null;
  if (inDomain)
    for (const p of byLinks([...index.files.keys()].filter((p) => inDomain(p) && near(p))))
      add(p, 'in the story domain');
  if (inShared)
    for (const p of byLinks([...index.files.keys()].filter((p) => inShared(p) && near(p)))) add(p, 'shared');

  const chosen: ContextPackFile[] = [];
  const leftOut: ContextPack['left_out'] = [];
  let total = 0;
  const paddingLimit = Math.min(
    req.budgetTokens,
    Math.max(PADDING_MIN_TOKENS, (req.paddingShare ?? PADDING_SHARE) * index.totalTokens),
  );
  for (const [p, reason] of ranked) {
    const tokens = index.files.get(p)!.tokens;
    const limit = PADDING.has(reason) ? paddingLimit : req.budgetTokens;
    if (PADDING.has(reason) ? total + tokens < limit : total + tokens <= limit) {
      chosen.push({ path: p, tokens, reason });
      total += tokens;
    } else leftOut.push({ path: p, tokens, reason });
  }
  return {
    story: req.story.story_id,
    tree: index.tree,
    files: chosen,
    total_tokens: total,
    budget_tokens: req.budgetTokens,
    repo_tokens: index.totalTokens,
    left_out: leftOut,
    tokenizer: TOKENIZER,
  };
}
