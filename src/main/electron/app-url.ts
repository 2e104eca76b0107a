import { pathToFileURL } from 'node:url';

/*
 * Which URLs are the app's own pages. Kept free of `electron` so plain Node tests it.
 *
 * Electron reports a frame's URL percent-encoded (`file:///Applications/WAVE%20Control%20Center.app/…`),
 * so the allowed base is built with pathToFileURL, never by gluing "file://" to a raw path,
 * and both sides are compared as parsed URLs: same scheme, host and port, and a path that
 * lies inside the base folder (a prefix that ends in "/", so `…/renderer-evil/x.html` and
 * `localhost:5173.evil.example` never match).
 */

export interface AppUrlBase {
  /** The dev server URL (electron-vite dev); when set, only pages under it are the app's. */
  devUrl?: string;
  /** The folder holding the built index.html (production). */
  rendererDir?: string;
  /** Treat rendererDir as a Windows path (default: the platform this runs on). */
  windows?: boolean;
}

interface Base {
  protocol: string;
  host: string;
  segments: string[];
  windows: boolean;
}

/** Builds the test once; the returned function is cheap and never throws. */
export function appUrlMatcher(base: AppUrlBase): (url: string) => boolean {
  const b = resolveBase(base);
  return (url: string) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol !== b.protocol || u.host !== b.host || u.username || u.password) return false;
    const segments = pathSegments(u.pathname);
    if (!segments || segments.length <= b.segments.length) return false;
    return b.segments.every((s, i) => sameSegment(s, segments[i]!, b.windows && i === 0));
  };
}

function resolveBase(base: AppUrlBase): Base {
  const windows = base.windows ?? process.platform === 'win32';
  let u: URL;
  if (base.devUrl) u = new URL(base.devUrl);
  else if (base.rendererDir) u = pathToFileURL(base.rendererDir, { windows });
  else throw new Error('appUrlMatcher needs a devUrl or a rendererDir');
  // A dev URL names a page ("http://localhost:5173/" or ".../index.html"): its folder is the base.
  // A renderer dir is a folder: all of it is the base.
  const pathname = base.devUrl
    ? u.pathname.slice(0, u.pathname.lastIndexOf('/') + 1)
    : u.pathname.endsWith('/')
      ? u.pathname
      : `${u.pathname}/`;
  const segments = pathSegments(pathname);
  if (!segments) throw new Error(`The app's own location ${u.href} has "." or ".." in its path`);
  // pathSegments keeps a trailing empty segment for the final "/": the base is the folder.
  segments.pop();
  return { protocol: u.protocol, host: u.host, segments, windows };
}

/** Decoded path segments; null when one is "." / ".." or decodes to a separator (a path trick). */
function pathSegments(pathname: string): string[] | null {
  const out: string[] = [];
  for (const raw of pathname.split('/').slice(1)) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0')) return null;
    out.push(s);
  }
  return out;
}

/** Windows drive letters compare without case ("C:" = "c:"); everything else exactly. */
function sameSegment(a: string, b: string, driveLetter: boolean): boolean {
  if (driveLetter && /^[a-z]:$/i.test(a)) return a.toLowerCase() === b.toLowerCase();
  return a === b;
}
