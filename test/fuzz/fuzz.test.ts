import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ensureProject, StoryImporter } from '../../src/main/core/prd';
import { openAppCore } from '../../src/main/core/open-app-core';
import { resolveSettings } from '../../src/main/core/settings/wave-settings';
import type { AppCore } from '../../src/main/core/app-core';
import { startBridgeServer, type BridgeServer } from '../../src/main/server/bridge-server';
import { ERROR_CODES } from '../../src/shared/ipc/result';
import { createTestDatabase, type TestDatabase } from '../helpers/pg';
import { openPostgresTestStore, type TestStore } from '../helpers/pglite';
import { seededRandom } from '../helpers/random';
import { cliArgv, importFile, wsFrame } from './generators';

/*
 * Fuzz of the three ways untrusted input enters WAVE: the WebSocket API (a real bridge server
 * over a real core and Postgres), the importers (real files, real store) and the CLI (real
 * `wave` processes). Every input must end in success or a clean, located error: no `internal`
 * code, no "Unexpected error", no crash, no dropped reply. Seeded: a failure names its seed
 * and index. `npm test` runs the counts below; `npm run test:fuzz` runs FUZZ_COUNT× more.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
const FUZZ_COUNTS = { ws: 2000 * SCALE, files: 400 * SCALE, cli: 4 * SCALE };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KNOWN_CODES = new Set<string>(ERROR_CODES.filter((c) => c !== 'internal'));
/** Generous rates: the fuzz must reach the handlers, not the rate limiter (tested on its own). */
const FAST = { ratePerSecond: 1e6, burst: 1e6 };

let db: TestDatabase;
let home: string;
let repo: string;
let core: AppCore;
let server: BridgeServer;
const coreLog: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('fuzz');
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-fuzz-'));
  repo = path.join(home, 'repo');
  fs.mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  core = await openAppCore({
    version: 'fuzz',
    settings: resolveSettings({ WAVE_HOME: home, DATABASE_URL: db.url }),
    rate: FAST,
    log: (l) => coreLog.push(l),
  });
  const set = await core.router.handle(
    'settings.update',
    { projectPath: repo },
    { clientId: 'setup', transport: 'electron' },
  );
  expect(set.ok).toBe(true);
  server = await startBridgeServer({
    core,
    staticDir: path.join(ROOT, 'test/fixtures/renderer-stub'),
    port: 0,
    frameRate: FAST,
    maxConnections: 4,
  });
});
afterAll(async () => {
  await server?.close();
  await core?.dispose();
  await db?.drop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

/** A failure message that says how to replay it. */
const where = (what: string, i: number, input: unknown) =>
  `${what} #${i} (FUZZ_SEED=${SEED}): ${JSON.stringify(input).slice(0, 300)}`;

interface Reply {
  type: string;
  id?: unknown;
  result?: { ok: boolean; error?: { code: string; message: string; details?: { issues?: Array<{ path: unknown }> } } };
}

describe(`fuzz (seed ${SEED})`, () => {
  it(`answers ${FUZZ_COUNTS.ws} random WebSocket frames with success or a clean error`, async () => {
    const rng = seededRandom(SEED);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/bridge?token=${encodeURIComponent(server.token)}`, {
      origin: `http://127.0.0.1:${server.port}`,
    });
    const inbox: Reply[] = [];
    let wake: (() => void) | null = null;
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as Reply;
      if (m.type !== 'result') return;
      inbox.push(m);
      wake?.();
    });
    let closed = false;
    ws.on('close', () => {
      closed = true;
      wake?.();
    });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const next = async (): Promise<Reply> => {
      while (inbox.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
      wake = null;
      const m = inbox.shift();
      if (!m) throw new Error('the bridge closed the connection');
      return m;
    };
    const codes = new Map<string, number>();
    for (let i = 0; i < FUZZ_COUNTS.ws; i++) {
      const frame = wsFrame(rng, i);
      ws.send(frame.data);
      const reply = await next();
      const input = typeof frame.data === 'string' ? frame.data.slice(0, 300) : '<binary>';
      expect(reply.id, where('reply id', i, input)).toEqual(frame.id);
      const r = reply.result!;
      const code = r.ok ? 'ok' : r.error!.code;
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (!r.ok) {
        expect(
          KNOWN_CODES.has(r.error!.code),
          where(`error code ${r.error!.code}: ${r.error!.message}`, i, input),
        ).toBe(true);
        expect(r.error!.message.length, where('empty message', i, input)).toBeGreaterThan(10);
        expect(r.error!.message, where('SQL in message', i, input)).not.toMatch(
          /Failed query|params:|\bselect\b.*\bfrom\b/i,
        );
        for (const issue of r.error!.details?.issues ?? [])
          expect(Array.isArray(issue.path), where('issue without path', i, input)).toBe(true);
      }
    }
    // Still serving after all of it.
    ws.send(JSON.stringify({ id: 'last', method: 'app.echo', payload: { text: 'alive' } }));
    expect((await next()).result).toMatchObject({ ok: true });
    ws.close();
    process.stdout.write(`fuzz ws: ${FUZZ_COUNTS.ws} frames → ${JSON.stringify(Object.fromEntries(codes))}\n`);
  });

  describe('importers', () => {
    let t: TestStore;
    beforeAll(async () => {
      t = await openPostgresTestStore('fuzz_import');
    });
    afterAll(async () => t?.close());

    it(`imports a folder of ${FUZZ_COUNTS.files} random files: each is imported or refused at a line and column`, async () => {
      const rng = seededRandom(SEED + 1);
      const project = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-fuzz-import-'));
      try {
        const dir = path.join(project, 'stories');
        fs.mkdirSync(dir);
        const inputs = new Map<string, string>();
        for (let i = 0; i < FUZZ_COUNTS.files; i++) {
          const f = importFile(rng, i);
          fs.writeFileSync(path.join(dir, f.name), f.text);
          inputs.set(f.name, f.text);
        }
        const p = await ensureProject(t.store, project);
        const report = await new StoryImporter(t.store).importPaths(['stories'], {
          projectId: p.id,
          actor: 'fuzz',
          cwd: project,
        });
        const reported = new Set(report.files.map((f) => path.basename(f.file)));
        // Markdown without front matter is skipped on purpose; everything else has a report.
        for (const [name, text] of inputs)
          if (!name.endsWith('.md') || text.startsWith('---'))
            expect(reported.has(name), `no report for ${name}`).toBe(true);
        for (const f of report.files) {
          for (const e of f.errors) {
            expect(
              e.line,
              where(`${f.file}: ${e.message}`, 0, inputs.get(path.basename(f.file))),
            ).toBeGreaterThanOrEqual(1);
            expect(e.column).toBeGreaterThanOrEqual(1);
            expect(e.message).not.toMatch(/Maximum call stack|Unexpected error/);
          }
          if (f.status === 'invalid')
            expect(f.errors.length + (f.message ? 1 : 0), `${f.file} invalid without a reason`).toBeGreaterThan(0);
        }
        process.stdout.write(`fuzz import: ${FUZZ_COUNTS.files} files → ${JSON.stringify(report.summary)}\n`);
      } finally {
        fs.rmSync(project, { recursive: true, force: true });
      }
    });
  });

  it(`runs ${FUZZ_COUNTS.cli} wave processes with random arguments: each exits with success or a clean error`, async () => {
    const rng = seededRandom(SEED + 2);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-fuzz-cli-'));
    const files = { story: path.join(cwd, 's.json'), prd: path.join(cwd, 'p.md') };
    fs.writeFileSync(files.story, importFile(rng, 0).text);
    fs.writeFileSync(files.prd, '---\nid: PRD-FZ\nstories: [FZ-1]\n---\n# \u001b[2JFuzz\n');
    const env = { PATH: process.env.PATH, HOME: cwd, WAVE_HOME: path.join(cwd, 'home'), DATABASE_URL: db.url };
    const run = (argv: string[]) =>
      new Promise<{ argv: string[]; code: number | null; signal: string | null; stdout: string; stderr: string }>(
        (resolve) => {
          const child = spawn(process.execPath, [path.join(ROOT, 'bin/wave.mjs'), ...argv], {
            cwd,
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.on('close', (code, signal) => resolve({ argv, code, signal, stdout, stderr }));
        },
      );
    try {
      const argvs = Array.from({ length: FUZZ_COUNTS.cli }, () => cliArgv(rng, files));
      const results = [];
      // Two at a time: each is a whole Node process.
      for (let i = 0; i < argvs.length; i += 2) results.push(...(await Promise.all(argvs.slice(i, i + 2).map(run))));
      results.forEach((r, i) => {
        const what = where(`wave exit ${r.code}/${r.signal}; stderr ${r.stderr.slice(0, 300)}`, i, r.argv);
        expect(r.signal, what).toBeNull();
        expect([0, 1, 2], what).toContain(r.code);
        expect(r.stderr, what).not.toMatch(/Unexpected error|\n\s+at .+:\d+:\d+\)?\n/);
        if (r.code !== 0) {
          const last = r.stdout.trim().split('\n').pop() ?? '';
          const doc = JSON.parse(last) as {
            error?: { code: string; message: string };
            files?: Array<{ errors: Array<{ line: number; column: number }> }>;
          };
          if (doc.files) {
            // wave validate: exit 1 with a report whose every error has a line and column.
            const errors = doc.files.flatMap((f) => f.errors);
            expect(errors.length, what).toBeGreaterThan(0);
            for (const e of errors) expect(e.line >= 1 && e.column >= 1, what).toBe(true);
          } else {
            expect(doc.error?.code, what).toBeTruthy();
            expect(doc.error?.code, what).not.toBe('internal');
            expect(doc.error?.message.length, what).toBeGreaterThan(10);
          }
        }
      });
      process.stdout.write(
        `fuzz cli: ${results.length} processes → exit codes ${JSON.stringify(results.map((r) => r.code))}\n`,
      );
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
