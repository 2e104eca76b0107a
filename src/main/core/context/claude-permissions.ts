import type { EditRules } from '../executor/agent-preset';
import { domainMatcher } from '../executor/domain-boundaries';

/*
 * Claude Code's permission rules for a story's worktree (written by the claude-code preset,
 * executor/claude-settings.ts), so that the agent itself refuses
 * to edit files outside the story's domain (SHARED aside) instead of gate-3 refusing the
 * result afterwards. Documented format (Claude Code settings, "Permissions"):
 *
 *   { "permissions": { "allow": ["Edit(/src/auth/**)"], "deny": ["Edit(/src/billing/**)"] } }
 *
 * A rule is `Tool` or `Tool(specifier)`; an Edit rule covers every built-in tool that edits
 * files, and its specifier is a gitignore pattern, `/path` anchored at the project root (the
 * worktree). Deny wins over allow, and a pattern cannot be negated, so "everything but the
 * domain" is written out from the repository's tree: every folder that no domain or SHARED
 * glob can reach is denied as a whole (`Edit(/docs/**)`), and every existing file that no glob
 * matches, one by one. What stays open: new files directly in a folder a glob reaches into
 * (e.g. a new top-level file); gate-3 still checks those.
 */

/** At most this many deny rules are written (a repository with many files outside every glob). */
export const MAX_DENY_RULES = 5000;

export type ClaudeEditRules = EditRules;

const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** The folder part of a glob before its first wildcard segment ('' for the root). */
function literalPrefix(glob: string): string {
  const segments = glob.replace(/^\.?\/+/, '').split('/');
  const out: string[] = [];
  for (const s of segments) {
    if (GLOB_CHARS.test(s)) break;
    out.push(s);
  }
  return out.join('/');
}

/** A path as an anchored gitignore pattern: gitignore's special characters escaped. */
function anchored(p: string): string {
  return `/${p.replace(/[\\*?[\]]/g, (c) => `\\${c}`)}`;
}

/** Paths a rule cannot carry (control characters, or the parentheses that close the rule). */
function unsafeForRule(p: string): boolean {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  return /[\u0000-\u001f\u007f()]/.test(p);
}

function normalizeGlob(g: string): string {
  const t = g.replace(/^\.?\/+/, '');
  return t.endsWith('/') ? `${t}**` : t;
}

/**
 * The Edit rules for a story: allow its domain's and SHARED's globs, deny the rest of the
 * repository's tree (`files`: every path of the tree the agent starts from).
 */
export function claudeEditRules(files: Iterable<string>, globs: readonly string[]): ClaudeEditRules {
  const normalized = [...new Set(globs.map(normalizeGlob).filter((g) => g !== ''))];
  const allowed = normalized.length ? domainMatcher(normalized) : () => false;
  const scopes = normalized.map(literalPrefix);
  // A folder is reachable when a glob's literal part is inside it or it is inside one.
  const inside = (dir: string) => scopes.some((s) => s === '' || dir === s || dir.startsWith(`${s}/`));
  const above = (dir: string) => scopes.some((s) => s.startsWith(`${dir}/`));

  interface Dir {
    dirs: Map<string, Dir>;
    files: string[];
  }
  const root: Dir = { dirs: new Map(), files: [] };
  for (const f of files) {
    const parts = f.split('/');
    let d = root;
    for (const part of parts.slice(0, -1)) {
      let next = d.dirs.get(part);
      if (!next) d.dirs.set(part, (next = { dirs: new Map(), files: [] }));
      d = next;
    }
    d.files.push(f);
  }

  const deny: string[] = [];
  let truncated = false;
  const push = (rule: string) => {
    if (deny.length < MAX_DENY_RULES) deny.push(rule);
    else truncated = true;
  };
  const walk = (d: Dir, at: string) => {
    for (const f of [...d.files].sort()) if (!allowed(f) && !unsafeForRule(f)) push(`Edit(${anchored(f)})`);
    for (const [name, child] of [...d.dirs].sort(([a], [b]) => a.localeCompare(b))) {
      const p = at ? `${at}/${name}` : name;
      if (unsafeForRule(p)) continue;
      if (inside(p) || above(p)) walk(child, p);
      else push(`Edit(${anchored(p)}/**)`);
    }
  };
  walk(root, '');
  return { allow: normalized.map((g) => `Edit(/${g})`), deny, truncated };
}
