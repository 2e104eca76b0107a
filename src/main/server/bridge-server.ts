import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_PAYLOAD_BYTES, err, type Result } from '../../shared/ipc';
import type { AppCore } from '../core/app-core';
import {
  FrameLimiter,
  MAX_BRIDGE_CONNECTIONS,
  TOKEN_MISSING_TEXT,
  presentedToken,
  tokenCookie,
  tokenMatches,
  tokenMissingPage,
} from './bridge-guard';
import { rendererCsp, rendererHeaderCsp, withCspMeta } from './csp';
import { readStatic } from './static-files';

export interface BridgeServerOptions {
  core: AppCore;
  /** Folder of the built renderer (out/renderer). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Always loopback: the bridge is never exposed to the network. */
  host?: '127.0.0.1';
  token?: string;
  log?: (line: string) => void;
  /** Open sockets allowed at once (default MAX_BRIDGE_CONNECTIONS); one more is refused with 503. */
  maxConnections?: number;
  /** Frames per token (default BRIDGE_FRAME_RATE); frames over it are answered rate_limited. */
  frameRate?: { ratePerSecond: number; burst: number };
}

export interface BridgeServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Largest WebSocket frame accepted at all; anything over MAX_PAYLOAD_BYTES still gets a typed error. */
const MAX_FRAME_BYTES = 1024 * 1024;
/** A client this far behind is disconnected; it reconnects and re-fetches the snapshot. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export const BRIDGE_PATH = '/bridge';

/**
 * `wave serve`: the built renderer plus a WebSocket bridge to the core, on 127.0.0.1 only,
 * guarded by a random token, Host and Origin checks, and the same router the desktop uses.
 */
export async function startBridgeServer(opts: BridgeServerOptions): Promise<BridgeServer> {
  const root = path.resolve(opts.staticDir);
  if (!existsSync(path.join(root, 'index.html'))) {
    throw new Error(
      `The renderer is not built (no ${path.join(root, 'index.html')}). Run "npm run build" first, then "wave serve" again.`,
    );
  }
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const limiter = new FrameLimiter(opts.frameRate);
  const maxConnections = opts.maxConnections ?? MAX_BRIDGE_CONNECTIONS;
  const log = opts.log ?? (() => {});
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const server = http.createServer((req, res) => {
    void (async () => {
      if (!allowedHosts().has(req.headers.host ?? '')) {
        // DNS rebinding guard: a page on another name must not reach the core.
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden: unexpected Host header');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const file = await readStatic(root, req.url ?? '/');
      // The page itself (not its scripts and styles) needs the token: without it the page would
      // wait for a bridge that refuses it, saying nothing.
      const isPage = file?.contentType.startsWith('text/html') ?? false;
      const reqUrl = new URL(req.url ?? '/', `http://${host}:${port}`);
      const given = presentedToken(req, reqUrl, port);
      if (isPage && !tokenMatches(given, token)) {
        res.writeHead(401, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : tokenMissingPage());
        return;
      }
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
        return;
      }
      const csp = rendererCsp(`ws://127.0.0.1:${port} ws://localhost:${port}`);
      let body = file.body;
      if (file.contentType.startsWith('text/html')) body = Buffer.from(withCspMeta(body.toString('utf8'), csp));
      res.writeHead(200, {
        'content-type': file.contentType,
        'content-security-policy': rendererHeaderCsp(`ws://127.0.0.1:${port} ws://localhost:${port}`),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cache-control': 'no-store',
        'x-frame-options': 'DENY',
        ...(isPage ? { 'set-cookie': tokenCookie(port, given) } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch((e) => {
      log(`static request failed: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  server.on('upgrade', (req, socket, head) => {
    const reject = (status: number, why: string) => {
      log(`bridge connection refused: ${why}`);
      const reason = status === 401 ? 'Unauthorized' : status === 503 ? 'Service Unavailable' : 'Forbidden';
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${why}`,
      );
    };
    const url = new URL(req.url ?? '/', `http://${host}:${port}`);
    if (url.pathname !== BRIDGE_PATH) return reject(403, 'unknown path');
    if (!allowedHosts().has(req.headers.host ?? '')) return reject(403, 'unexpected Host header');
    if (!allowedOrigins().has(req.headers.origin ?? '')) return reject(403, 'unexpected Origin');
    if (!tokenMatches(presentedToken(req, url, port), token)) return reject(401, TOKEN_MISSING_TEXT);
    if (wss.clients.size >= maxConnections)
      return reject(503, `Too many open connections (${maxConnections}); close another WAVE tab and reload.`);
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  let nextClient = 0;
  function attach(ws: WebSocket): void {
    const clientId = `ws-${++nextClient}`;
    const send = (msg: unknown) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.close(4008, 'client too slow; reconnect and re-fetch the snapshot');
        return;
      }
      ws.send(JSON.stringify(msg));
    };
    const unsubscribe = opts.core.hub.subscribe((env) => send({ type: 'event', ...env }));
    send({ type: 'hello', seq: opts.core.hub.seq });
    ws.on('message', (data, isBinary) => {
      // Every frame counts against the token, also those refused below (bad JSON, too large…).
      if (!limiter.tryTake(token)) {
        const id = isBinary ? null : peekId(data.toString('utf8', 0, 4096));
        send({
          type: 'result',
          id,
          result: err('rate_limited', 'Too many messages on this token; wait a moment and retry.'),
        });
        return;
      }
      const raw = isBinary ? null : data.toString();
      void handleMessage(raw, Buffer.isBuffer(data) ? data.length : MAX_FRAME_BYTES).then((reply) => send(reply));
    });
    ws.on('close', () => {
      unsubscribe();
      opts.core.router.release(clientId);
    });
    ws.on('error', (e) => log(`bridge socket ${clientId} error: ${e.message}`));

    async function handleMessage(
      raw: string | null,
      bytes: number,
    ): Promise<{ type: 'result'; id: unknown; result: Result<unknown> }> {
      if (raw === null)
        return {
          type: 'result',
          id: null,
          result: err('invalid_request', 'Binary frames are not accepted; send JSON text.'),
        };
      if (bytes > MAX_PAYLOAD_BYTES) {
        const id = peekId(raw);
        return {
          type: 'result',
          id,
          result: err(
            'payload_too_large',
            `Request is ${bytes} bytes; the limit is ${MAX_PAYLOAD_BYTES} bytes. Send less data per request.`,
          ),
        };
      }
      let msg: unknown;
      try {
        msg = JSON.parse(raw);
      } catch {
        return { type: 'result', id: null, result: err('invalid_request', 'Message is not valid JSON.') };
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        return {
          type: 'result',
          id: null,
          result: err('invalid_request', 'Message must be an object {id, method, payload}.'),
        };
      }
      const { id, method, payload } = msg as { id?: unknown; method?: unknown; payload?: unknown };
      if (typeof id !== 'number' && typeof id !== 'string') {
        return {
          type: 'result',
          id: null,
          result: err('invalid_request', 'Message needs an "id" (number or string).'),
        };
      }
      const result = await opts.core.router.handle(method, payload, { clientId, transport: 'websocket' }, bytes);
      return { type: 'result', id, result };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${encodeURIComponent(token)}`;

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    token,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** Best effort: find the request id in an oversized message without parsing all of it. */
function peekId(raw: string): unknown {
  const m = /"id"\s*:\s*("(?:[^"\\]|\\.){0,64}"|\d{1,15})/.exec(raw.slice(0, 4096));
  if (!m?.[1]) return null;
  try {
    return JSON.parse(m[1]);
  } catch {
    return null;
  }
}
