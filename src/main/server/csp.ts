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

/**
 * The policy sent as an HTTP header: the page's policy plus `frame-ancestors 'none'`, so no
 * other site can frame the control center and trick a click on STOP or Approve. (Browsers
 * ignore frame-ancestors in a meta tag, and warn about it, so the meta keeps rendererCsp.)
 */
export function rendererHeaderCsp(connectSrc: string): string {
  return `${rendererCsp(connectSrc)}; frame-ancestors 'none'`;
}

const CSP_META = /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")[^"]*(")/i;

/**
 * The built page carries the desktop CSP (connect-src 'none') in a meta tag; a page served
 * by `wave serve` gets the bridge's policy there too, since meta and header policies both apply.
 */
export function withCspMeta(html: string, csp: string): string {
  if (!CSP_META.test(html))
    throw new Error(
      'The built index.html has no Content-Security-Policy meta tag; rebuild the renderer with "npm run build".',
    );
  return html.replace(CSP_META, `$1${csp}$2`);
}
