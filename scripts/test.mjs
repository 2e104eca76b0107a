#!/usr/bin/env node
// `npm test`: every check of the project, each stage announced with its duration.
//   build    electron-vite build                            the tests run the built CLI, server and window
//   then     (typecheck → lint → check:cycles) ∥ (test:e2e → test:unit)
//            the static checks take one core; the tests wait on processes, git and the browser
//            for much of their run, and the checks fill those gaps. The two test stages run one
//            after the other: side by side on 2 cores, each ran 4-7x slower than alone (a run of
//            11 min where they take 4 min in a row) and the browser tests timed out under that load.
// A stage that runs beside another has its lines prefixed with its name; the first failure
// stops the others and the run ends with that stage's exit code and a summary of durations.
// WAVE_TEST_SERIAL=1 runs the stages one after the other.
// `npm run test:chaos` (node scripts/test.mjs chaos) runs the crash, kill and fuzz tests with
// long rounds (WAVE_CHAOS=1) instead.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = performance.now();
const results = [];
const running = new Map();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
let lastOutput = performance.now();
const say = (line) => {
  lastOutput = performance.now();
  process.stdout.write(`[test] ${line}\n`);
};

/** Runs one stage (an npm script, or a command), its output prefixed when `prefix` is set. */
function stage(name, command, args, { prefix = false, env = {} } = {}) {
  say(`▶ ${name}`);
  const t0 = performance.now();
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : '0'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32',
  });
  running.set(name, child);
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    let rest = '';
    from.setEncoding('utf8').on('data', (d) => {
      lastOutput = performance.now();
      if (!prefix) return void to.write(d);
      const lines = (rest + d).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) to.write(`[${name}] ${l}\n`);
    });
    from.on('end', () => rest && to.write(prefix ? `[${name}] ${rest}\n` : rest));
  }
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(name);
      const ms = performance.now() - t0;
      const ok = code === 0;
      results.push({ name, ms, ok: ok ? 'passed' : stopping ? 'stopped' : `failed (${code ?? signal})` });
      if (!stopping || ok) say(`${ok ? '✓' : '✗'} ${name} ${ok ? 'passed' : 'FAILED'} in ${seconds(ms)}`);
      resolve(ok ? 0 : (code ?? 1));
    }),
  );
}

const npmStage = (script, opts) => stage(script, npm, ['run', '--silent', script], opts);

let stopping = false;
/** The first failure stops the stages still running (only the processes this runner started). */
function stopOthers() {
  stopping = true;
  for (const [, child] of running) child.kill('SIGTERM');
}

async function lanes(...laneFns) {
  const codes = await Promise.all(
    laneFns.map(async (fn) => {
      const code = await fn();
      if (code !== 0 && !stopping) stopOthers();
      return code;
    }),
  );
  return codes.find((c) => c !== 0) ?? 0;
}

async function sequence(...steps) {
  for (const step of steps) {
    if (stopping) return 1;
    const code = await step();
    if (code !== 0) return code;
  }
  return 0;
}

// A heartbeat when nothing was printed for 15 s (tsc prints nothing until it ends).
const heartbeat = setInterval(() => {
  if (running.size > 0 && performance.now() - lastOutput >= 15_000)
    say(`… still running: ${[...running.keys()].join(', ')} (${seconds(performance.now() - started)} in total)`);
}, 1_000);
heartbeat.unref();

function summary(code) {
  say('─'.repeat(40));
  for (const r of results) say(`${r.name.padEnd(14)} ${seconds(r.ms).padStart(8)}  ${r.ok}`);
  say(`${code === 0 ? 'all passed' : 'FAILED'} in ${seconds(performance.now() - started)}`);
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopOthers();
    process.exit(130);
  });
}

if (process.argv[2] === 'chaos') {
  const code = await stage(
    'chaos',
    npm,
    [
      'exec',
      '--',
      'vitest',
      'run',
      'test/crash',
      'src/main/core/orchestrator/kill-resume.int.test.ts',
      'src/main/core/stories/fuzz.test.ts',
    ],
    { env: { WAVE_CHAOS: '1' } },
  );
  summary(code);
} else {
  // The build first (a few seconds): both test stages need it. Then the tests start at once,
  // the browser tests first, with the static checks beside them (see the head of this file).
  const buildCode = await npmStage('build', { prefix: true });
  if (buildCode !== 0) summary(buildCode);
  const checks = () =>
    sequence(
      () => npmStage('typecheck', { prefix: true }),
      () => npmStage('lint', { prefix: true }),
      () => npmStage('check:cycles', { prefix: true }),
    );
  // WAVE_TEST_SERIAL=1 runs everything one after the other (a machine too busy to share).
  const code =
    process.env.WAVE_TEST_SERIAL === '1'
      ? await sequence(
          checks,
          () => npmStage('test:unit'),
          () => npmStage('test:e2e'),
        )
      : await lanes(checks, () =>
          sequence(
            () => npmStage('test:e2e', { prefix: true }),
            () => npmStage('test:unit', { prefix: true }),
          ),
        );
  summary(code);
}
