import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { AppCore } from '../core/app-core';
import { openGateLogWatches } from '../core/orchestrator/gate-log';
import { EventHub } from '../core/rpc';
import { createCoreServices, type CoreServices } from '../core/services';
import { resolveSettings } from '../core/settings/wave-settings';
import { gateRuns } from '../store';
import { openPgliteTestStore, seedSession } from '../../../test/helpers/pglite';
import { startBridgeServer, type BridgeServer } from './bridge-server';

// Following a gate log over `wave serve`: the real bridge, router, session handlers and
// store. Each socket's follows are its own and end when the socket closes.

let dataDir: string;
let services: CoreServices;
let core: AppCore;
let server: BridgeServer;
let staticDir: string;
let logFile: string;
let gateRunId: number;

beforeAll(async () => {
  // A migrated embedded store copied from the test template, then opened by the composition root.
  const ts = await openPgliteTestStore();
  dataDir = ts.dataDir;
  await ts.store.close();
  services = await createCoreServices({ ...resolveSettings({ PATH: process.env.PATH, WAVE_USER: 'lead' }), dataDir });
  staticDir = mkdtempSync(path.join(os.tmpdir(), 'wave-bridge-follow-'));
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>WAVE</title>');
  logFile = path.join(staticDir, 'gate-2.log');
  writeFileSync(logFile, 'planning\n');
  const seeded = await seedSession(services.store.db, { stories: 1, status: 'running' });
  const [row] = await services.store.db
    .insert(gateRuns)
    .values({ storyRunId: seeded.runIds[0]!, sessionId: seeded.sessionId, gate: 'gate-2', logPath: logFile })
    .returning({ id: gateRuns.id });
  gateRunId = row!.id;
  const hub = new EventHub();
  const bus = await services.bus();
  const app = await services.app(hub);
  core = new AppCore({
    version: '0.0.0-test',
    dataDir,
    hub,
    handlers: app.handlers,
    snapshotParts: () => app.snapshotParts(),
    store: services.store,
    events: bus,
    healthIntervalMs: 60_000,
  });
  await core.start();
  // 100 clients on one token in a few seconds is a watcher-leak test, not a flood: the
  // per-token frame limit (bridge-guard.test.ts covers it) is lifted so a fast machine cannot trip it.
  server = await startBridgeServer({
    core,
    staticDir,
    port: 0,
    frameRate: { ratePerSecond: 100_000, burst: 100_000 },
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await core?.dispose();
  await services?.close();
  rmSync(staticDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

interface Client {
  ws: WebSocket;
  appended: string[];
  call(method: string, payload: unknown): Promise<{ ok: boolean; value?: unknown; error?: { message: string } }>;
}

function connect(): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/bridge?token=${encodeURIComponent(server.token)}`, {
      origin: `http://127.0.0.1:${server.port}`,
    });
    const appended: string[] = [];
    const waiting = new Map<number, (r: never) => void>();
    let next = 0;
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as {
        type: string;
        id?: number;
        result?: never;
        name?: string;
        payload?: { gateRunId: number; text: string };
      };
      if (m.type === 'result' && typeof m.id === 'number') waiting.get(m.id)?.(m.result!);
      if (m.type === 'event' && m.name === 'gate.logAppended' && m.payload?.gateRunId === gateRunId)
        appended.push(m.payload.text);
    });
    const call = (method: string, payload: unknown) =>
      new Promise<never>((done) => {
        const id = ++next;
        waiting.set(id, done);
        ws.send(JSON.stringify({ id, method, payload }));
      });
    ws.once('open', () => resolve({ ws, appended, call }));
    ws.once('error', reject);
  });
}

function close(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

describe('gate log follows over the WebSocket bridge', () => {
  it("keeps streaming to one client when another unfollows, and ends each client's follow when it disconnects", async () => {
    const a = await connect();
    const b = await connect();
    expect(await a.call('gate.follow', { gateRunId, follow: true })).toEqual({ ok: true, value: { following: true } });
    expect(await b.call('gate.follow', { gateRunId, follow: true })).toEqual({ ok: true, value: { following: true } });
    // One log, one watch, however many clients follow it.
    expect(openGateLogWatches()).toBe(1);

    expect(await a.call('gate.follow', { gateRunId, follow: false })).toEqual({
      ok: true,
      value: { following: false },
    });
    appendFileSync(logFile, 'step 1\n');
    await vi.waitFor(() => expect(b.appended.join('')).toContain('step 1\n'));
    expect(a.appended.join('')).toContain('step 1\n'); // events go to every socket; the follow decides whether the log is read
    expect(openGateLogWatches()).toBe(1);

    await close(b.ws);
    await vi.waitFor(() => expect(openGateLogWatches()).toBe(0));
    await close(a.ws);
  });

  it('leaves no watcher after 100 clients connect, follow and close', async () => {
    expect(openGateLogWatches()).toBe(0);
    for (let i = 0; i < 100; i++) {
      const c = await connect();
      const reply = await c.call('gate.follow', { gateRunId, follow: true });
      expect(reply, `cycle ${i}`).toEqual({ ok: true, value: { following: true } });
      expect(openGateLogWatches(), `cycle ${i}`).toBe(1);
      await close(c.ws);
    }
    await vi.waitFor(() => expect(openGateLogWatches()).toBe(0));
  }, 120_000);
});
