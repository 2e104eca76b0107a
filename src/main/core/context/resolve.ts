import path from 'node:path';
import type { ImportRef, SourceLanguage } from './tree-sitter';

/**
 * Where an import points inside the repository, by each ecosystem's own rules: relative
 * JS/TS specifiers with Node/TypeScript extension and index resolution (".js" written for a
 * ".ts" file included), Python packages (relative dots, `__init__.py`, absolute imports from
 * any source root), Go packages under the module paths of the repository's go.mod files.
 * Imports of packages outside the repository resolve to nothing.
 */

const JS_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const JS_WRITTEN = /\.(m|c)?jsx?$/;

export interface RepoFiles {
  has(file: string): boolean;
  /** Python: files whose path ends with this relative path on a segment boundary. */
  bySuffix(suffix: string): readonly string[];
  /** Go: non-test .go files directly in a directory. */
  goFilesIn(dir: string): readonly string[];
  /** Go: module path → directory of its go.mod ('' for the root). */
  goModules: ReadonlyArray<{ module: string; dir: string }>;
}

export function buildRepoFiles(
  paths: readonly string[],
  goMods: ReadonlyArray<{ module: string; dir: string }>,
): RepoFiles {
  const all = new Set(paths);
  const suffixes = new Map<string, string[]>();
  const goDirs = new Map<string, string[]>();
  for (const p of paths) {
    if (p.endsWith('.py')) {
      const parts = p.split('/');
      for (let i = 0; i < parts.length; i++) {
        const s = parts.slice(i).join('/');
        const list = suffixes.get(s);
        if (list) list.push(p);
        else suffixes.set(s, [p]);
      }
    } else if (p.endsWith('.go') && !p.endsWith('_test.go')) {
      const dir = path.posix.dirname(p);
      const list = goDirs.get(dir);
      if (list) list.push(p);
      else goDirs.set(dir, [p]);
    }
  }
  // Longer module paths first, so a nested module wins over its parent.
  const goModules = [...goMods].sort((a, b) => b.module.length - a.module.length);
  return {
    has: (f) => all.has(f),
    bySuffix: (s) => suffixes.get(s) ?? [],
    goFilesIn: (d) => goDirs.get(d === '' ? '.' : d) ?? [],
    goModules,
  };
}

function resolveJs(from: string, spec: string, files: RepoFiles): string[] {
  if (!spec.startsWith('.') && !spec.startsWith('/')) return [];
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/^\/+/, '');
  if (base.startsWith('..')) return [];
  const candidates = [base];
  if (JS_WRITTEN.test(base)) candidates.push(...JS_EXTENSIONS.map((e) => base.replace(JS_WRITTEN, '') + e));
  candidates.push(...JS_EXTENSIONS.map((e) => base + e), ...JS_EXTENSIONS.map((e) => `${base}/index${e}`));
  const hit = candidates.find((c) => files.has(c));
  return hit ? [hit] : [];
}

function pythonModule(dir: string, dotted: string, files: RepoFiles, absolute: boolean): string | null {
  const rel = dotted.split('.').filter(Boolean).join('/');
  const options = rel ? [`${rel}.py`, `${rel}/__init__.py`] : ['__init__.py'];
  for (const o of options) {
    if (!absolute) {
      const p = path.posix.normalize(path.posix.join(dir, o));
      if (files.has(p)) return p;
    } else {
      // Absolute imports resolve from any source root: the shortest matching path wins.
      const found = [...files.bySuffix(o)].sort((a, b) => a.length - b.length)[0];
      if (found) return found;
    }
  }
  return null;
}

function resolvePython(from: string, ref: ImportRef, files: RepoFiles): string[] {
  const dots = /^\.+/.exec(ref.specifier)?.[0].length ?? 0;
  const rest = ref.specifier.slice(dots);
  let dir = '';
  if (dots > 0) {
    dir = path.posix.dirname(from);
    for (let i = 1; i < dots; i++) dir = path.posix.dirname(dir);
    if (dir === '.') dir = '';
  }
  const absolute = dots === 0;
  const out = new Set<string>();
  // `from pkg import mod` imports a module when one has that name, else a name from pkg.
  let namedModules = 0;
  for (const name of ref.names ?? []) {
    const m = pythonModule(dir, rest ? `${rest}.${name}` : name, files, absolute);
    if (m) {
      out.add(m);
      namedModules++;
    }
  }
  if (namedModules < (ref.names?.length ?? 0) || !ref.names?.length) {
    const m = pythonModule(dir, rest, files, absolute);
    if (m) out.add(m);
  }
  return [...out];
}

function resolveGo(spec: string, files: RepoFiles): string[] {
  for (const m of files.goModules) {
    if (spec === m.module || spec.startsWith(`${m.module}/`)) {
      const sub = spec.slice(m.module.length + 1);
      return [...files.goFilesIn(path.posix.join(m.dir, sub).replace(/^\.\/?/, '') || '.')];
    }
  }
  return [];
}

/** The repository files an import of `from` refers to. */
export function resolveImport(from: string, lang: SourceLanguage, ref: ImportRef, files: RepoFiles): string[] {
  switch (lang) {
    case 'python':
      return resolvePython(from, ref, files);
    case 'go':
      return resolveGo(ref.specifier, files);
    default:
      return resolveJs(from, ref.specifier, files);
  }
}
