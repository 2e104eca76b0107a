import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { AppCore } from '../core/app-core';
import { createTestAppCore } from '../../../test/helpers/app-core';
import { startBridgeServer, type BridgeServer } from './bridge-server';

let dir: string;
let core: AppCore;
let server: BridgeServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wave-bridge-'));
  writeFileSync(
    path.join(dir, 'index.html'),
    `<!-- connect-src 'none' in the desktop app -->\n<meta\n  http-equiv="Content-Security-Policy"\n  content="default-src 'none'; connect-src 'none'"\n/>`,
  );
  core = createTestAppCore(dir);
  await core.start();
  server = await startBridgeServer({ core, staticDir: dir, port: 0 });
});
afterAll(async () => {
  await server?.close();
  await core?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const origin = () => `http://127.0.0.1:${server.port}`;

function connect(
  opts: { token?: string; origin?: string; host?: string } = {},
): Promise<{ ws: WebSocket; messages: unknown[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${server.port}/bridge?token=${encodeURIComponent(opts.token ?? server.token)}`,
      {
        origin: opts.origin ?? origin(),
        headers: opts.host ? { host: opts.host } : undefined,
      },
    );
    const messages: unknown[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function request(
  ws: WebSocket,
  messages: unknown[],
  msg: unknown,
): Promise<{ id: unknown; result: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }> {
  const before = messages.length;
  ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  for (let i = 0; i < 200; i++) {
    const found = messages.slice(before).find((m) => (m as { type: string }).type === 'result');
    if (found) return found as never;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no reply');
}

describe('wave serve bridge', () => {
  it('refuses a connection without the right token, Origin or Host', async () => {
    await expect(connect({ token: 'wrong' })).rejects.toThrow('HTTP 401');
    await expect(connect({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect({ host: `attacker.example:${server.port}` })).rejects.toThrow('HTTP 403');
  });

  it('answers typed requests and pushes sequenced events', async () => {
    const { ws, messages } = await connect();
    const reply = await request(ws, messages, { id: 1, method: 'app.info', payload: {} });
    expect(reply.result.ok).toBe(true);
    expect(reply.result.value).toMatchObject({
      version: '9.9.9',
      transport: 'websocket',
      health: { store: { kind: 'pglite', status: 'ok' } },
    });
    const seqBefore = core.hub.seq;
    core.hub.publish('app.health', await core.health());
    await new Promise((r) => setTimeout(r, 50));
    const evt = messages.find((m) => (m as { type: string }).type === 'event') as { name: string; seq: number };
    expect(evt).toMatchObject({ name: 'app.health', seq: seqBefore + 1 });
    ws.close();
  });

  it('answers malformed and oversized requests with typed errors and keeps serving', async () => {
    const { ws, messages } = await connect();
    expect((await request(ws, messages, 'not json')).result.error?.code).toBe('invalid_request');
    expect((await request(ws, messages, { id: 2, method: 'app.echo', payload: { text: 5 } })).result.error?.code).toBe(
      'invalid_request',
    );
    expect((await request(ws, messages, { id: 3, method: 'shell.exec', payload: {} })).result.error?.code).toBe(
      'unknown_method',
    );
    const big = await request(ws, messages, { id: 4, method: 'app.echo', payload: { text: 'x'.repeat(80_000) } });
    expect(big).toMatchObject({ id: 4, result: { ok: false, error: { code: 'payload_too_large' } } });
    expect(
      (await request(ws, messages, { id: 5, method: 'app.echo', payload: { text: 'still here' } })).result.ok,
    ).toBe(true);
    ws.close();
  });

  it('serves the page with a CSP that allows only its own bridge, and nothing outside its folder', async () => {
    const get = (p: string, host = `127.0.0.1:${server.port}`) =>
      new Promise<{ status: number; csp: string; body: string }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: server.port, path: p, headers: { host } }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, csp: String(res.headers['content-security-policy'] ?? ''), body }),
            );
          })
          .on('error', reject);
      });
    const page = await get(`/?token=${encodeURIComponent(server.token)}`);
    expect(page.status).toBe(200);
    expect(page.csp).toContain(`connect-src ws://127.0.0.1:${server.port}`);
    expect(page.csp).toContain("script-src 'self'");
    const meta = /content="([^"]*)"/.exec(page.body)?.[1] ?? '';
    expect(meta).toContain(`connect-src ws://127.0.0.1:${server.port}`);
    expect(meta).not.toContain("connect-src 'none'");
    expect((await get('/../../../../etc/passwd')).status).toBe(404);
    expect((await get('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await get('/', 'rebind.example')).status).toBe(403);
  });
});
