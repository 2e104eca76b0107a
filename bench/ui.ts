/**
 * UI benchmark (`npm run bench -- ui`). One JSON object on stdout:
 *   stories          stories on the waves board (1 000)
 *   events_per_s     story.changed + metrics.tick events actually pushed per second during the load
 *   first_render_ms  navigation start → first story row on screen (page load, bridge connect,
 *                    snapshot of all stories, first render), in the page's own clock
 *   frame_p95_ms     95th percentile of the time between animation frames while events arrive
 *   dropped_frames   frames missed while events arrive (each gap of n × 16.7 ms counts n − 1)
 *   floor            the same two frame numbers for the same page with no events (the physical floor of
 *                    this machine and browser), measured in the same run
 *   diff             the Changes view of a story over a DIFF_FILES-file, DIFF_LINES-line diff (200 files,
 *                    10 000 lines; the first file has DIFF_FIRST_FILE_LINES, the largest the view shows
 *                    expanded): first_render_ms from the click on "Changes…" to the first diff line on
 *                    screen; frame_p95_ms / dropped_frames while the lead scrolls that file's diff and
 *                    then the file list with the mouse wheel, beside the idle floor above; and
 *                    main_thread_ms_per_file, the main thread's time to open each of the other files
 * Targets: first_render_ms < 1000, frame_p95_ms ≤ 16.7; diff first_render_ms < 500, diff frame_p95_ms ≤ 16.7.
 *
 * Method: the built renderer (out/renderer, run `npm run build` first) is served by the real
 * WebSocket bridge, in front of a real AppCore whose domain services are replaced by a
 * deterministic fake session, so events can be pushed at an exact rate through the real hub,
 * bridge, client, store and React. Production code has no test hooks for this. Chromium is
 * /usr/bin/chromium (or WAVE_CHROMIUM) through Playwright. Traffic stays on 127.0.0.1.
 * Knobs: BENCH_UI_STORIES (1000), BENCH_UI_RATE (200 events/s), BENCH_UI_MS (10000 ms of load),
 * BENCH_UI_STATIC (another build of the renderer, e.g. a minified one, to compare).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import {
  GATE_IDS,
  REQUEST_NAMES,
  type GateAttemptView,
  type GateId,
  type SessionView,
  type StoryRunView,
} from '../src/shared/ipc';
import { AppCore } from '../src/main/core/app-core';
import type { ServiceHandlers } from '../src/main/core/api/types';
import { AppError } from '../src/main/core/rpc';
import { startBridgeServer } from '../src/main/server/bridge-server';
import type { StoryDiff } from '../src/shared/ipc/review';
import { emit, percentile, progress as say } from './_harness';

const STORIES = Number(process.env.BENCH_UI_STORIES ?? 1000);
const RATE = Number(process.env.BENCH_UI_RATE ?? 200);
const LOAD_MS = Number(process.env.BENCH_UI_MS ?? 10_000);
const FLOOR_MS = Math.min(LOAD_MS, 4_000);
const FRAME_MS = 1000 / 60;
const CHROMIUM = process.env.WAVE_CHROMIUM ?? '/usr/bin/chromium';
const STATIC_DIR = path.resolve(process.env.BENCH_UI_STATIC ?? 'out/renderer');
const DIFF_FILES = 200;
const DIFF_LINES = 10_000;
const DIFF_FIRST_FILE_LINES = 400;
const SCROLL_MS = 2_000;
const progress = (line: string) => say(`[bench ui] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A deterministic pseudo-random sequence, so every run pushes the same events.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

const T0 = Date.now() - 30 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
let gateRunId = 1;

function attempt(
  gate: GateId,
  n: number,
  status: GateAttemptView['status'],
  start: number,
  durationMs: number | null,
): GateAttemptView {
  return {
    gateRunId: gateRunId++,
    gate,
    attempt: n,
    status,
    startedAt: iso(start),
    endedAt: durationMs === null ? null : iso(start + durationMs),
    durationMs,
    inputTokens: Math.round(rand() * 5000),
    outputTokens: Math.round(rand() * 1500),
    costUsd: Math.round(rand() * 500) / 10_000,
    reason: status === 'failed' ? 'qa: 2 tests failed in test/math.test.js' : null,
  };
}

function makeStory(i: number): StoryRunView {
  const wave = 1 + Math.floor((i * 5) / STORIES);
  const passed = wave <= 2 ? 8 : wave === 3 ? Math.floor(rand() * 8) : 0;
  const gates: GateAttemptView[] = [];
  let t = T0 + i * 1000;
  for (let g = 0; g < passed; g++) {
    const d = 5_000 + Math.round(rand() * 60_000);
    gates.push(attempt(GATE_IDS[g]!, 1, 'passed', t, d));
    t += d;
  }
  const running = wave === 3 && passed < 8;
  if (running) gates.push(attempt(GATE_IDS[passed]!, 1, 'running', t, null));
  const status: StoryRunView['status'] = wave <= 2 ? 'merged' : running ? 'running' : 'queued';
  return {
    id: `run-${i}`,
    sessionId: 'bench-session',
    storyId: `BENCH-${String(i + 1).padStart(4, '0')}`,
    title: `Benchmark story number ${i + 1} with a realistic title`,
    waveNumber: wave,
    domain: ['api', 'web', 'db', 'docs'][i % 4]!,
    agent: ['be-dev', 'fe-dev', 'qa', 'docs'][i % 4]!,
    status,
    currentGate: running ? GATE_IDS[passed]! : null,
    attempts: 1,
    costUsd: gates.reduce((s, g) => s + g.costUsd, 0),
    startedAt: gates[0]?.startedAt ?? null,
    endedAt: status === 'merged' ? (gates.at(-1)?.endedAt ?? null) : null,
    reason: null,
    mergeSha: status === 'merged' ? 'a'.repeat(40) : null,
    progress: running ? { message: 'working', pct: 10 } : null,
    gates,
  };
}

/** The next state of one story: its running gate finishes (sometimes failing into a retry) or it moves on. */
function advance(s: StoryRunView): StoryRunView {
  const now = Date.now();
  const gates = s.gates.slice();
  const last = gates.at(-1);
  if (!last || last.status !== 'running') {
    const next = GATE_IDS[gates.filter((g) => g.status === 'passed').length % 8]!;
    gates.push(attempt(next, 1, 'running', now, null));
  } else if (rand() < 0.1) {
    gates[gates.length - 1] = {
      ...last,
      status: 'failed',
      endedAt: iso(now),
      durationMs: now - Date.parse(last.startedAt),
      reason: 'qa: lint found 3 problems',
    };
    gates.push(attempt(last.gate, last.attempt + 1, 'running', now, null));
  } else {
    gates[gates.length - 1] = {
      ...last,
      status: 'passed',
      endedAt: iso(now),
      durationMs: now - Date.parse(last.startedAt),
    };
    const done = gates.filter((g) => g.status === 'passed').length;
    if (done < 8 && GATE_IDS[done]) gates.push(attempt(GATE_IDS[done]!, 1, 'running', now, null));
  }
  // Keep payloads bounded like a real story (a few retries at most).
  const trimmed = gates.length > 12 ? gates.slice(-12) : gates;
  const running = trimmed.at(-1)?.status === 'running' ? trimmed.at(-1)! : null;
  return {
    ...s,
    status: running ? 'running' : 'passed',
    currentGate: running?.gate ?? null,
    attempts: running?.attempt ?? s.attempts,
    costUsd: Math.round((s.costUsd + 0.003) * 10_000) / 10_000,
    startedAt: s.startedAt ?? iso(now),
    progress: running ? { message: `${running.gate} working`, pct: Math.round(rand() * 100) } : null,
    gates: trimmed,
  };
}

/** A story diff of DIFF_FILES TypeScript files of DIFF_LINES lines in all, as story.diff answers it. */
function bigDiff(): StoryDiff {
  const rest = Math.floor((DIFF_LINES - DIFF_FIRST_FILE_LINES) / (DIFF_FILES - 1));
  const files: StoryDiff['files'] = Array.from({ length: DIFF_FILES }, (_, f) => {
    const perFile =
      f === 0
        ? DIFF_FIRST_FILE_LINES
        : f === DIFF_FILES - 1
          ? DIFF_LINES - DIFF_FIRST_FILE_LINES - rest * (DIFF_FILES - 2)
          : rest;
    const path = `src/module-${String(f).padStart(3, '0')}/file.ts`;
    const lines = Array.from(
      { length: perFile },
      (_, l) => `+export const value${l} = compute("${path}", ${l}) + ${Math.round(rand() * 1000)}; // line ${l}`,
    );
    const patch = [
      `diff --git a/${path} b/${path}`,
      'new file mode 100644',
      'index 0000000..1111111',
      '--- /dev/null',
      `+++ b/${path}`,
      `@@ -0,0 +1,${perFile} @@`,
      ...lines,
      '',
    ].join('\n');
    return {
      path,
      oldPath: null,
      status: 'added',
      binary: false,
      additions: perFile,
      deletions: 0,
      patch,
      patchChars: patch.length,
      truncated: false,
    };
  });
  return {
    sessionId: 'bench-session',
    storyId: 'BENCH-0001',
    against: 'base',
    branch: 'wave/be-dev/BENCH-0001',
    targetBranch: 'main',
    baseSha: 'b'.repeat(40),
    headSha: 'c'.repeat(40),
    ignoreWhitespace: false,
    live: false,
    files,
    note: null,
  };
}

function fakeServices(session: SessionView): ServiceHandlers {
  const refuse = (name: string) => () => {
    throw new AppError('unavailable', `${name} is not part of the UI benchmark.`);
  };
  const handlers: Record<string, unknown> = {};
  for (const name of REQUEST_NAMES) if (!name.startsWith('app.')) handlers[name] = refuse(name);
  handlers['metrics.get'] = () => ({
    latency: [],
    eventRate: [],
    cumulativeCost: [],
    costBy: { story: [], agent: [], model: [] },
    tokens: [],
    gateDurations: [],
  });
  handlers['events.deadLetters'] = () => [];
  handlers['session.get'] = () => session;
  const diff = bigDiff();
  handlers['story.diff'] = () => diff;
  return handlers as unknown as ServiceHandlers;
}

/** Injected before the app's own scripts: stamps the first story row and records frame times on demand. */
const INSTRUMENT = `
  window.__bench = { firstRowMs: null, frames: [], recording: false };
  new MutationObserver((_, obs) => {
    if (document.querySelector('[data-testid="story-row"]')) {
      window.__bench.firstRowMs = performance.now();
      obs.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
  const loop = (t) => { if (window.__bench.recording) window.__bench.frames.push(t); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
`;

function frameStats(frames: number[]): { frame_p95_ms: number; dropped_frames: number; frames: number } {
  const deltas: number[] = [];
  for (let i = 1; i < frames.length; i++) deltas.push(frames[i]! - frames[i - 1]!);
  const sorted = [...deltas].sort((a, b) => a - b);
  const dropped = deltas.reduce((n, d) => n + Math.max(0, Math.round(d / FRAME_MS) - 1), 0);
  return {
    frame_p95_ms: Math.round(percentile(sorted, 95) * 100) / 100,
    dropped_frames: dropped,
    frames: frames.length,
  };
}

async function main(): Promise<void> {
  if (!existsSync(path.join(STATIC_DIR, 'index.html')))
    throw new Error('The renderer is not built: run "npm run build" (or npx electron-vite build) first.');
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}; set WAVE_CHROMIUM to its path.`);
  const stories = Array.from({ length: STORIES }, (_, i) => makeStory(i));
  const session: SessionView = {
    id: 'bench-session',
    projectId: 'bench',
    projectName: 'bench',
    prdId: 'PRD-BENCH',
    status: 'running',
    budgetUsd: 1000,
    costUsd: stories.reduce((s, x) => s + x.costUsd, 0),
    forecastUsd: null,
    concurrency: 64,
    currentWave: 3,
    waveCount: 5,
    createdAt: iso(T0),
    startedAt: iso(T0),
    endedAt: null,
    statusReason: null,
    stories,
  };
  const ok = (detail: string) => async () => ({
    status: 'ok' as const,
    detail,
    latencyMs: 0,
    checkedAt: new Date().toISOString(),
  });
  const core = new AppCore({
    version: 'bench',
    dataDir: '(benchmark: no data dir)',
    handlers: fakeServices(session),
    snapshotParts: async () => ({
      settings: {
        projectPath: '/bench',
        projectName: 'bench',
        targetBranch: 'main',
        concurrency: 64,
        budgetUsd: 1000,
        agentPreset: 'scripted',
        configProblems: [],
      },
      session: { ...session, stories: [...stories] },
      sessions: [session],
      prds: [],
      interrupted: [],
    }),
    store: { kind: 'pglite', health: ok('benchmark store') },
    events: { kind: 'in-process', reason: 'benchmark', health: ok('benchmark bus'), p99Ms: () => null },
    healthIntervalMs: 60_000,
  });
  await core.start();
  const server = await startBridgeServer({ core, staticDir: STATIC_DIR, port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript(INSTRUMENT);
    progress(`${STORIES} stories; loading the board`);
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="story-row"]', { timeout: 30_000 });
    const firstRenderMs = (await page.evaluate('window.__bench.firstRowMs')) as number;
    progress(`first story row after ${Math.round(firstRenderMs)} ms`);

    // Floor: the same page, idle.
    await sleep(500);
    await page.evaluate('window.__bench.frames = []; window.__bench.recording = true');
    await sleep(FLOOR_MS);
    const floorFrames = (await page.evaluate('window.__bench.recording = false, window.__bench.frames')) as number[];

    // Load: RATE events/s through the real hub → bridge → client → store → React.
    progress(`pushing ${RATE} events/s for ${LOAD_MS / 1000} s`);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const taskSeconds = async () =>
      (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
    const busyBefore = await taskSeconds();
    await page.evaluate('window.__bench.frames = []; window.__bench.recording = true');
    let sent = 0;
    const start = performance.now();
    while (performance.now() - start < LOAD_MS) {
      // Paced by the clock, not by the timer: a late timer sends what is due.
      const due = Math.floor(((performance.now() - start) / 1000) * RATE);
      while (sent < due) {
        if (sent % RATE === RATE - 1) {
          core.hub.publish('metrics.tick', {
            sessionId: session.id,
            at: new Date().toISOString(),
            latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3, count: RATE },
            eventsPerSecond: RATE,
            costUsd: session.costUsd,
          });
        } else {
          // Half of the updates hit the stories on screen (the first waves' rows), half anywhere.
          const i = sent % 2 === 0 ? Math.floor(rand() * 20) : Math.floor(rand() * STORIES);
          stories[i] = advance(stories[i]!);
          core.hub.publish('story.changed', stories[i]!);
        }
        sent++;
      }
      await sleep(10);
    }
    const elapsed = performance.now() - start;
    const loadFrames = (await page.evaluate('window.__bench.recording = false, window.__bench.frames')) as number[];
    const busyMs = ((await taskSeconds()) - busyBefore) * 1000;
    // A marker update on the first row proves the events reached the screen (and in order).
    stories[0] = { ...stories[0]!, costUsd: 123.45 };
    core.hub.publish('story.changed', stories[0]!);
    await page
      .locator('[data-testid="story-row"] .story-cost', { hasText: '$123.45' })
      .first()
      .waitFor({ timeout: 10_000 });
    const load = frameStats(loadFrames);
    const floor = frameStats(floorFrames);

    // The Changes view of a story with a big diff: first render, then every file opened in turn.
    progress(`opening the changes of a story: ${DIFF_FILES} files, ${DIFF_LINES} lines`);
    await page.locator('[data-testid="story-row"]').first().click();
    await page.getByTestId('open-changes').waitFor();
    const diffFirstMs = (await page.evaluate(`new Promise((resolve) => {
      const start = performance.now();
      new MutationObserver((_, obs) => {
        if (document.querySelector('[data-testid="changes-file"] .diff-code')) { obs.disconnect(); resolve(performance.now() - start); }
      }).observe(document, { childList: true, subtree: true });
      document.querySelector('[data-testid="open-changes"]').click();
    })`)) as number;
    progress(`first diff line after ${Math.round(diffFirstMs)} ms; scrolling the diff and the file list`);
    const scrollFrames: number[] = [];
    for (const target of ['[data-testid="changes-file"]', 'nav.changes-tree']) {
      const box = (await page.locator(target).boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.evaluate('window.__bench.frames = []; window.__bench.recording = true');
      const until = performance.now() + SCROLL_MS / 2;
      for (let dy = 120; performance.now() < until; dy = -dy)
        for (let i = 0; i < 10 && performance.now() < until; i++) {
          await page.mouse.wheel(0, dy);
          await sleep(16);
        }
      scrollFrames.push(
        ...((await page.evaluate('window.__bench.recording = false, window.__bench.frames')) as number[]),
      );
    }
    const scroll = frameStats(scrollFrames);
    progress('opening every file');
    const walkBusyBefore = await taskSeconds();
    const walkFrames = (await page.evaluate(`(async () => {
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      window.__bench.frames = []; window.__bench.recording = true;
      const items = [...document.querySelectorAll('.changes-tree-item')];
      for (const item of items) { item.click(); item.scrollIntoView({ block: 'nearest' }); await frame(); await frame(); }
      window.__bench.recording = false;
      return window.__bench.frames;
    })()`)) as number[];
    await page
      .locator('[data-testid="changes-file"]', { hasText: `module-${String(DIFF_FILES - 1).padStart(3, '0')}` })
      .waitFor({ timeout: 10_000 });
    const walkDropped = frameStats(walkFrames).dropped_frames;
    // Main-thread time per opened file: what the view costs, less sensitive than frame times to a busy machine.
    const walkBusyMsPerFile = Math.round((((await taskSeconds()) - walkBusyBefore) * 1000 * 10) / DIFF_FILES) / 10;
    emit({
      stories: STORIES,
      events_per_s: Math.round((sent / elapsed) * 1000),
      first_render_ms: Math.round(firstRenderMs),
      frame_p95_ms: load.frame_p95_ms,
      dropped_frames: load.dropped_frames,
      frames: load.frames,
      // How much of the load window the page's main thread was busy (script, style, layout, paint): the headroom left.
      main_thread_busy_pct: Math.round((busyMs / elapsed) * 100),
      floor: {
        frame_p95_ms: floor.frame_p95_ms,
        dropped_frames: floor.dropped_frames,
        frames: floor.frames,
        ms: FLOOR_MS,
      },
      diff: {
        files: DIFF_FILES,
        lines: DIFF_LINES,
        first_render_ms: Math.round(diffFirstMs),
        frame_p95_ms: scroll.frame_p95_ms,
        dropped_frames: scroll.dropped_frames,
        frames: scroll.frames,
        main_thread_ms_per_file: walkBusyMsPerFile,
        dropped_frames_opening_files: walkDropped,
      },
      load_ms: LOAD_MS,
      targets: {
        first_render_ms: '< 1000',
        frame_p95_ms: '<= 16.7',
        diff_first_render_ms: '< 500',
        diff_frame_p95_ms: '<= 16.7',
      },
    });
  } finally {
    await browser.close();
    await server.close();
    await core.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench ui] failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
