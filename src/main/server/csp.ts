/**
 * The renderer's Content-Security-Policy. No remote scripts, no eval, no plugins; the
 * only network the page may open is the bridge it was served with (none in Electron).
 */
export function rendererCsp(connectSrc: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // React/recharts set style attributes; no <style> from the network is possible anyway.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connectSrc}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "manifest-src 'self'",
  ].join('; ');
}

/** Placeholder the built index.html carries in its CSP meta; the server fills it in. */
export const CONNECT_SRC_PLACEHOLDER = "'none'";
