/*
 * Signal latency where the lead sees it (`npm run bench -- live`). A full session run by `wave serve`
 * (the built bundle, its own embedded store): 8 stories whose scripted agents each print PER_SECOND
 * progress lines a second for STREAM_MS in develop ("live <n> at <epoch ms>": each line carries its
 * write time). The bench is a WebSocket client of the real bridge (with its token), set up and
 * started through requests like the window's (settings, import, approve, start). Per bus:
 *   inprocess   REDIS_URL unset: the in-process bus
 *   redis       REDIS_URL (default redis://127.0.0.1:6379) under a unique key prefix
 * it reports, from the agent's write of a line:
 *   client      to the first pushed event that shows that line's progress or a newer one of the
 *               same story (what the lead's window can show; a line overtaken by a newer one
 *               before it was pushed counts until the newer one arrived): p50/p95/p99_ms, and
 *               events_per_s, the progress-carrying events the client got per second
 *   log         to the line in the gate run's log file (every line lands there; seen by a watch)
 *   stream      (redis) to the event's entry in the session's Redis stream (its id is Redis's clock)
 * Beside them, measured in the same run:
 *   floor       8 bare child processes printing the same lines, relayed line by line to a bare
 *               WebSocket server's client (bench/_live-floor.mjs): the same path with nothing of wave
 * Target: client.p99_ms < 20 for both buses. Run `npm run build` first. Knobs: BENCH_LIVE_RATE (50),
 * BENCH_LIVE_MS (4000), BENCH_LIVE_BUSES (inprocess,redis).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createSessionProject, prdMarkdown, storyJson } from '../e2e/support/project';
import { startWaveServer } from '../e2e/support/wave-server';
import { TEST_REDIS_URL } from '../test/helpers/env';
import { cleanupPrefix, uniquePrefix } from '../test/helpers/redis';
import { emit, percentile, progress } from './_harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AGENTS = 8;
const PER_SECOND = Number(process.env.BENCH_LIVE_RATE ?? 50);
const STREAM_MS = Number(process.env.BENCH_LIVE_MS ?? 4_000);
const BUSES = (process.env.BENCH_LIVE_BUSES ?? 'inprocess,redis').split(',');
const LINE = /live (\d+) at (\d+(?:\.\d+)?)/;
const say = (line: string) => progress(`[bench live] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => performance.timeOrigin + performance.now();
const round2 = (x: number) => Math.round(x * 100) / 100;

interface Stats {
  n: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50_ms: round2(percentile(s, 50)),
    p95_ms: round2(percentile(s, 95)),
    p99_ms: round2(percentile(s, 99)),
    max_ms: round2(s[s.length - 1] ?? Number.NaN),
  };
}

/**
 * Lines written (story → n → write time) and the client's arrivals (story → [n shown, arrival time]):
 * each line's latency is until the first arrival showing it or a newer line of its story.
 */
class Arrivals {
  readonly written = new Map<string, Map<number, number>>();
  readonly shown = new Map<string, Array<[number, number]>>();
  frames = 0;
  firstAt = 0;
  lastAt = 0;

  wrote(story: string, n: number, at: number): void {
    let m = this.written.get(story);
    if (!m) this.written.set(story, (m = new Map()));
    m.set(n, at);
  }

  arrived(story: string, n: number, at: number, writtenAt: number): void {
    this.wrote(story, n, writtenAt);
    let list = this.shown.get(story);
    if (!list) this.shown.set(story, (list = []));
    list.push([n, at]);
    this.frames++;
    if (!this.firstAt) this.firstAt = at;
    this.lastAt = at;
  }

  /** Another progress (not a numbered line) shown at `at`: it overtakes every line written before it. */
  overtaken(story: string, at: number): void {
    let list = this.shown.get(story);
    if (!list) this.shown.set(story, (list = []));
    list.push([Infinity, at]);
  }

  latencies(): { samples: number[]; unseen: number } {
    const samples: number[] = [];
    let unseen = 0;
    for (const [story, lines] of this.written) {
      const shown = this.shown.get(story) ?? [];
      for (const [n, at] of lines) {
        // The first arrival showing n or a newer line, or another progress (e.g. "wrote 1 file") pushed after it.
        const first = shown.find(([k, t]) => k >= n && (k !== Infinity || t > at));
        if (first) samples.push(first[1] - at);
        else unseen++;
      }
    }
    return { samples, unseen };
  }

  eventsPerSecond(): number {
    return this.lastAt > this.firstAt ? Math.round((this.frames * 1000) / (this.lastAt - this.firstAt)) : 0;
  }
}

/** The floor: bare child processes → bare relay → bare WebSocket client. */
async function floor(): Promise<{ client: Stats; events_per_s: number }> {
  const relay = spawn(process.execPath, [path.join(ROOT, 'bench', '_live-floor.mjs')], {
    env: { ...process.env, AGENTS: String(AGENTS), PER_SECOND: String(PER_SECOND), MS: String(STREAM_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: relay.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
    relay.once('exit', (c) => reject(new Error(`the floor relay exited with ${c}`)));
  });
  const arrivals = new Arrivals();
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  ws.on('message', (data) => {
    const now = wallNow();
    const { agent, line } = JSON.parse(String(data)) as { agent: number; line: string };
    const m = LINE.exec(line);
    if (m) arrivals.arrived(String(agent), Number(m[1]), now, Number(m[2]));
  });
  await new Promise<void>((r) => relay.once('exit', () => r()));
  ws.close();
  return { client: stats(arrivals.latencies().samples), events_per_s: arrivals.eventsPerSecond() };
}

/** A request/answer client of the bridge, as the window's ws-client is. */
function bridgeClient(url: string) {
  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/bridge?token=${encodeURIComponent(u.searchParams.get('token') ?? '')}`, {
    headers: { origin: `http://${u.host}` },
  });
  let next = 0;
  const waiting = new Map<number, (r: { ok: boolean; value?: unknown; error?: unknown }) => void>();
  const listeners: Array<(name: string, payload: Record<string, unknown>, at: number) => void> = [];
  ws.on('message', (data) => {
    const at = wallNow();
    const msg = JSON.parse(String(data)) as {
      type: string;
      id?: number;
      result?: never;
      name?: string;
      payload?: never;
    };
    if (msg.type === 'result' && typeof msg.id === 'number') waiting.get(msg.id)?.(msg.result!);
    else if (msg.type === 'event') for (const l of listeners) l(msg.name!, msg.payload!, at);
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    opened,
    onEvent: (l: (name: string, payload: Record<string, unknown>, at: number) => void) => listeners.push(l),
    async request<T>(method: string, payload: unknown): Promise<T> {
      const id = ++next;
      const answer = new Promise<{ ok: boolean; value?: unknown; error?: unknown }>((r) => waiting.set(id, r));
      ws.send(JSON.stringify({ id, method, payload }));
      const r = await answer;
      waiting.delete(id);
      if (!r.ok) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`);
      return r.value as T;
    },
    close: () => ws.close(),
  };
}

/** Every line of the gate logs under `dir`, as the bench saw it land (fs.watch, then read what was added). */
function tailLogs(dir: string, onLine: (story: string, n: number, writtenAt: number, seenAt: number) => void) {
  mkdirSync(dir, { recursive: true });
  const offsets = new Map<string, number>();
  const read = (rel: string) => {
    const file = path.join(dir, rel);
    if (!rel.endsWith('.log') || !existsSync(file)) return;
    const seenAt = wallNow();
    const from = offsets.get(file) ?? 0;
    const size = statSync(file).size;
    if (size <= from) return;
    const text = readFileSync(file).subarray(from, size).toString('utf8');
    const upTo = text.lastIndexOf('\n') + 1;
    offsets.set(file, from + Buffer.byteLength(text.slice(0, upTo)));
    // logs/<session>/<story>/<gate>-<attempt>.log
    const story = rel.split(path.sep).at(-2) ?? '?';
    for (const line of text.slice(0, upTo).split('\n')) {
      const m = LINE.exec(line);
      if (m) onLine(story, Number(m[1]), Number(m[2]), seenAt);
    }
  };
  const watcher = watch(dir, { recursive: true }, (_e, rel) => rel && read(String(rel)));
  return { close: () => watcher.close() };
}

/** Reads the session's Redis stream as entries land: entry id time (Redis's clock) − write time. */
function tailStream(redisUrl: string, key: () => string | null) {
  const redis = new Redis(redisUrl);
  const samples: number[] = [];
  let stop = false;
  const done = (async () => {
    let last = '0';
    while (!stop) {
      const k = key();
      if (!k) {
        await sleep(20);
        continue;
      }
      const reply = (await redis.xread('COUNT', 1000, 'BLOCK', 200, 'STREAMS', k, last)) as Array<
        [string, Array<[string, string[]]>]
      > | null;
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        last = id;
        const body = fields[fields.indexOf('e') + 1];
        const m = body ? LINE.exec(body) : null;
        if (m) samples.push(Number(id.split('-')[0]) - Number(m[2]));
      }
    }
  })();
  return {
    samples,
    async close() {
      stop = true;
      await done.catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** The PRD and stories inside the project (a window imports only from there), ignored by git. */
function backlog(projectDir: string): string {
  const dir = path.join(projectDir, 'backlog');
  mkdirSync(dir);
  appendFileSync(path.join(projectDir, '.git', 'info', 'exclude'), 'backlog/\n');
  const ids = Array.from({ length: AGENTS }, (_, i) => `LIVE-${i + 1}`);
  writeFileSync(path.join(dir, 'prd.md'), prdMarkdown({ id: 'PRD-LIVE', title: 'Live signals', stories: ids }));
  ids.forEach((id, i) =>
    writeFileSync(
      path.join(dir, `${id.toLowerCase()}.json`),
      storyJson({
        id,
        title: `Operation ${i + 1}`,
        testAgent: { progress_stream: { per_second: PER_SECOND, ms: STREAM_MS } },
      }),
    ),
  );
  return dir;
}

async function oneSession(bus: string) {
  const prefix = bus === 'redis' ? uniquePrefix('bench-live') : '';
  const env: NodeJS.ProcessEnv =
    bus === 'redis' ? { REDIS_URL: TEST_REDIS_URL, WAVE_REDIS_PREFIX: prefix } : { REDIS_URL: '' };
  const project = createSessionProject();
  const stories = backlog(project.dir);
  const server = await startWaveServer({ env });
  const client = bridgeClient(server.url);
  const arrivals = new Arrivals();
  const log: number[] = [];
  let sessionId: string | null = null;
  let sessionEnded = false;
  const logs = tailLogs(path.join(server.dataDir, 'logs'), (story, n, writtenAt, seenAt) => {
    arrivals.wrote(story, n, writtenAt);
    log.push(seenAt - writtenAt);
  });
  const stream =
    bus === 'redis' ? tailStream(TEST_REDIS_URL, () => sessionId && `${prefix}session:${sessionId}`) : null;
  try {
    await client.opened;
    client.onEvent((name, payload, at) => {
      const p = (name === 'story.changed' || name === 'story.progress' ? payload.progress : null) as {
        message?: string;
      } | null;
      const m = p?.message ? LINE.exec(p.message) : null;
      if (m) arrivals.arrived(String(payload.storyId), Number(m[1]), at, Number(m[2]));
      else if (p?.message) arrivals.overtaken(String(payload.storyId), at);
      if (
        name === 'session.changed' &&
        payload.id === sessionId &&
        !['running', 'stopping'].includes(String(payload.status))
      )
        sessionEnded = true;
    });
    await client.request('settings.update', { projectPath: project.dir, agentPreset: 'scripted', concurrency: AGENTS });
    await client.request('import.paths', { paths: [stories] });
    const prds = await client.request<Array<{ id: string; title: string }>>('prd.list', {});
    const prdId = prds.find((p) => p.title === 'Live signals')!.id;
    const prd = await client.request<{ contentHash: string; runsHash: string }>('prd.get', { prdId });
    await client.request('prd.approve', { prdId, by: 'bench', contentHash: prd.contentHash, runsHash: prd.runsHash });
    const t0 = Date.now();
    const session = await client.request<{ id: string }>('session.start', { prdId, concurrency: AGENTS });
    sessionId = session.id;
    const deadline = t0 + STREAM_MS + 180_000;
    while (!sessionEnded && Date.now() < deadline) await sleep(50);
    if (!sessionEnded)
      throw new Error(`the session did not end in time. wave serve said:\n${server.log().slice(-3000)}`);
    say(`${bus}: session ${sessionId} ended after ${Date.now() - t0} ms`);
    await sleep(300);
  } finally {
    client.close();
    logs.close();
    await stream?.close();
    await server.stop();
    project.cleanup();
    if (prefix) await cleanupPrefix(prefix);
  }
  const { samples, unseen } = arrivals.latencies();
  const written = [...arrivals.written.values()].reduce((a, m) => a + m.size, 0);
  return {
    client: { ...stats(samples), never_shown: unseen, events_per_s: arrivals.eventsPerSecond() },
    log: stats(log),
    ...(stream ? { stream: stats(stream.samples) } : {}),
    lines_written: AGENTS * Math.round((PER_SECOND * STREAM_MS) / 1000),
    lines_in_logs: written,
  };
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').trim();
}

async function main() {
  if (!existsSync(path.join(ROOT, 'out', 'main', 'cli.js')))
    throw new Error('No wave bundle: run `npm run build` first.');
  const loadBefore = loadavg();
  say(`floor: ${AGENTS} bare children × ${PER_SECOND} lines/s → bare WebSocket`);
  const floorResult = await floor();
  const results: Record<string, unknown> = {};
  const targets: Record<string, boolean> = {};
  for (const bus of BUSES) {
    say(`${bus}: a session of ${AGENTS} agents × ${PER_SECOND} lines/s for ${STREAM_MS} ms`);
    const r = await oneSession(bus);
    results[bus] = r;
    targets[`${bus}_client_p99_lt_20`] = r.client.p99_ms < 20;
  }
  emit({
    bench: 'live',
    agents: AGENTS,
    lines_per_s_each: PER_SECOND,
    stream_ms: STREAM_MS,
    loadavg_before: loadBefore,
    loadavg_after: loadavg(),
    floor: floorResult,
    ...results,
    targets,
  });
}

main().catch((e) => {
  process.stderr.write(`[bench live] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
