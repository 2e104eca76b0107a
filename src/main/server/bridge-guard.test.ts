import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { assertInsideProject } from '../core/api/import-handlers';
import type { AppCore } from '../core/app-core';
import { createTestAppCore } from '../../../test/helpers/app-core';
import { TOKEN_MISSING_TEXT } from './bridge-guard';
import { startBridgeServer, type BridgeServer } from './bridge-server';

let dir: string;
let core: AppCore;
let server: BridgeServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wave-guard-'));
  writeFileSync(
    path.join(dir, 'index.html'),
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; connect-src 'none'" />`,
  );
  writeFileSync(path.join(dir, 'app.js'), 'console.log(1)');
  core = createTestAppCore(dir);
  await core.start();
  server = await startBridgeServer({
    core,
    staticDir: dir,
    port: 0,
    maxConnections: 2,
    frameRate: { ratePerSecond: 0.5, burst: 6 },
  });
});
afterAll(async () => {
  await server?.close();
  await core?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function get(
  p: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port: server.port, path: p, headers: { host: `127.0.0.1:${server.port}`, ...headers } },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      )
      .on('error', reject);
  });
}

function connect(
  query = `?token=${encodeURIComponent(server.token)}`,
  headers: Record<string, string> = {},
): Promise<{
  ws: WebSocket;
  messages: Array<{ type: string; id?: unknown; result?: { ok: boolean; error?: { code: string } } }>;
}> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/bridge${query}`, {
      origin: `http://127.0.0.1:${server.port}`,
      headers,
    });
    const messages: Array<{ type: string }> = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { body })));
    });
    ws.once('error', reject);
  });
}

describe('wave serve access', () => {
  it('answers the page without its token with 401 saying what is missing and how to get a new URL', async () => {
    const page = await get('/');
    expect(page.status).toBe(401);
    expect(page.body).toContain('needs its access token');
    expect(page.body).toContain('run &quot;wave serve&quot; again');
    expect((await get('/?token=wrong')).status).toBe(401);
    // Scripts and styles are not secret; only the page that talks to the core is guarded.
    expect((await get('/app.js')).status).toBe(200);
  });

  it('serves the page with its token, and again on reload from the cookie it set', async () => {
    const page = await get(`/?token=${encodeURIComponent(server.token)}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    // frame-ancestors is header-only: browsers ignore (and warn about) it in a meta tag.
    expect(/content="([^"]*)"/.exec(page.body)?.[1]).not.toContain('frame-ancestors');
    const cookie = String(page.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
    expect(page.headers['set-cookie']?.[0]).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await get('/', { cookie })).status).toBe(200);
    expect((await get('/', { cookie: cookie.replace(/=.*/, '=stale') })).status).toBe(401);
  });

  it('refuses the socket without its token with the same text', async () => {
    const e = (await connect('').catch((x: unknown) => x)) as Error & { body: string };
    expect(e.message).toBe('HTTP 401');
    expect(e.body).toBe(TOKEN_MISSING_TEXT);
  });

  it('caps open connections', async () => {
    const a = await connect();
    const b = await connect();
    const third = (await connect().catch((x: unknown) => x)) as Error & { body: string };
    expect(third.message).toBe('HTTP 503');
    expect(third.body).toMatch(/Too many open connections \(2\)/);
    a.ws.close();
    b.ws.close();
    await new Promise((r) => a.ws.once('close', r));
  });

  it('rate-limits a token, counting frames that were refused', async () => {
    const { ws, messages } = await connect();
    // Six refused frames use up the burst of six…
    for (let i = 0; i < 6; i++) ws.send('not json');
    ws.send(JSON.stringify({ id: 'after', method: 'app.echo', payload: { text: 'hi' } }));
    for (let i = 0; i < 300 && messages.filter((m) => m.type === 'result').length < 7; i++)
      await new Promise((r) => setTimeout(r, 10));
    const results = messages.filter((m) => m.type === 'result');
    expect(results.filter((m) => m.result?.error?.code === 'invalid_request')).toHaveLength(6);
    // …so a valid request right after is refused too.
    expect(results.find((m) => m.id === 'after')).toMatchObject({
      result: { ok: false, error: { code: 'rate_limited' } },
    });
    ws.close();
  });
});

describe('import.paths from a browser', () => {
  it('takes only paths inside the project folder, links resolved', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'wave-proj-'));
    const outside = mkdtempSync(path.join(os.tmpdir(), 'wave-outside-'));
    try {
      mkdirSync(path.join(root, 'stories'));
      symlinkSync(outside, path.join(root, 'escape'));
      await expect(
        assertInsideProject([path.join(root, 'stories'), root, path.join(root, 'stories/new.json')], root),
      ).resolves.toBeUndefined();
      await expect(assertInsideProject([outside], root)).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(assertInsideProject([path.join(root, 'escape')], root)).rejects.toMatchObject({
        code: 'unauthorized',
      });
      await expect(assertInsideProject([path.join(root, '../', path.basename(outside))], root)).rejects.toThrow(
        /outside the project folder/,
      );
      await expect(assertInsideProject([`${root}-evil`], root)).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(assertInsideProject(['/etc/passwd'], null)).rejects.toMatchObject({ code: 'precondition_failed' });
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
