import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';

/** True when `child` is `parent` itself or lies below it (both absolute). */
export function isInsideOrSame(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * A repository-relative path that cannot step out of its root: not absolute, no `..`
 * segment, no NUL. Returns the normalised form, or null when the path is refused.
 */
export function safeRelativePath(path: string): string | null {
  if (!path || path.includes('\0') || isAbsolute(path) || /^[A-Za-z]:/.test(path)) return null;
  const segments = path.split(/[\\/]+/);
  if (segments.some((s) => s === '..')) return null;
  const normal = normalize(path);
  if (normal === '.' || normal.startsWith('..')) return null;
  return normal;
}

/** Absolute path of `rel` under `root`, or null when it would leave `root`. */
export function resolveInside(root: string, rel: string): string | null {
  const safe = safeRelativePath(rel);
  if (safe === null) return null;
  const full = resolve(root, safe);
  return isInsideOrSame(full, root) ? full : null;
}
