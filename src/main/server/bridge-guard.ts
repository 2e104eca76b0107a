import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TokenBucket } from '../core/rpc/token-bucket';

/*
 * Who may use a `wave serve` bridge, and how much. The token is the only secret: it is in the
 * URL printed at start, lives as long as that process, and is kept by the browser in an
 * HttpOnly cookie so a reload of the page (whose address bar no longer shows it) still works.
 */

/** Said by the page and by the socket when the token is missing or wrong. */
export const TOKEN_MISSING_TEXT =
  'This WAVE control center needs its access token, and this request came without it (or with one from an earlier start). ' +
  'Open the full URL that "wave serve" printed in its terminal: it ends in "?token=…". ' +
  'The token is new each time wave serve starts and is valid until that process stops; to get a new URL, run "wave serve" again.';

/** Default cap on open bridge sockets (a lead opens a few tabs, not hundreds). */
export const MAX_BRIDGE_CONNECTIONS = 16;
/** Frames per second (and burst) one token may send, counting frames that are refused. */
export const BRIDGE_FRAME_RATE = { ratePerSecond: 40, burst: 80 } as const;

export function tokenCookieName(port: number): string {
  // Cookies are per host, not per port: each serve port gets its own name.
  return `wave_token_${port}`;
}

/** The token a request carries: `?token=` first, else this server's cookie. */
export function presentedToken(req: IncomingMessage, url: URL, port: number): string {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const name = tokenCookieName(port);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return '';
      }
    }
  }
  return '';
}

export function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cookie that lets a reload of the page in the same browser keep its access. */
export function tokenCookie(port: number, token: string): string {
  return `${tokenCookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The 401 page: what is missing and how to get a new URL. */
export function tokenMissingPage(): string {
  const text = TOKEN_MISSING_TEXT.replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>WAVE Control Center: access token needed</title></head>',
    '<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">',
    '<h1>Access token needed</h1>',
    `<p>${text}</p>`,
    '</body></html>',
  ].join('\n');
}

/** One token bucket per token: every frame takes from it, accepted or refused. */
export class FrameLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly rate: { ratePerSecond: number; burst: number } = BRIDGE_FRAME_RATE) {}

  tryTake(token: string): boolean {
    let b = this.buckets.get(token);
    if (!b) {
      b = new TokenBucket(this.rate.ratePerSecond, this.rate.burst);
      this.buckets.set(token, b);
    }
    return b.tryTake();
  }
}
