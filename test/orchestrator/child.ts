import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { killTagged } from '../fixtures/repos/leftovers';
import { pgliteDataDir } from '../helpers/pglite';
import { createScenario, type Scenario, type ScenarioOptions } from './scenario';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..');
/** `wave` as users run it: bin/wave.mjs, which loads the bundle `npm run build` wrote (see the vitest globalSetup). */
export const WAVE_BIN = join(REPO_ROOT, 'bin', 'wave.mjs');
/** `wave` plus the test-only `continue` command, from the sources (see wave-cli.ts). */
export const WAVE_TEST_CLI = join(here, 'wave-cli.ts');

export interface WaveChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Resolves once stderr contains `pattern` (rejects if the process exits first). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Number of stderr lines matching `pattern` so far. */
  countStderr(pattern: RegExp): number;
}

const live = new Set<ChildProcess>();

/**
 * Starts `wave <args>` in a child process with its own environment: the built `wave`, except
 * for the test-only `continue`, which runs from the sources through tsx.
 */
export function startWave(args: string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT): WaveChild {
  const argv = args[0] === 'continue' ? ['--import', 'tsx', WAVE_TEST_CLI, ...args] : [WAVE_BIN, ...args];
  const child = spawn(process.execPath, argv, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void; reject: (e: Error) => void }> = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of [...waiters]) {
      if (w.pattern.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<number | string>((r) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      for (const w of waiters.splice(0))
        w.reject(
          new Error(`wave ${args[0]} exited (${code ?? signal}) before printing ${w.pattern}: ${err.slice(-2000)}`),
        );
      r(code ?? signal ?? -1);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    countStderr: (pattern) => err.split('\n').filter((l) => pattern.test(l)).length,
    waitForStderr(pattern, timeoutMs = 60_000) {
      if (pattern.test(err)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern} from wave ${args[0]}: ${err.slice(-2000)}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
  };
}

// Tests read the CLI's JSON loosely, field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = any;

/** Runs `wave <args>` to the end and returns its exit code and output (stdout parsed as JSON when it is). */
export async function runWave(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ code: number | string; json: LooseJson; stdout: string; stderr: string }> {
  const c = startWave(args, env, cwd);
  const code = await c.exited;
  let json: unknown = null;
  try {
    json = JSON.parse(c.stdout());
  } catch {
    // Not JSON: the caller looks at stdout.
  }
  return { code, json, stdout: c.stdout(), stderr: c.stderr() };
}

/** SIGKILLs every child still running (afterAll). */
export function killChildren(): void {
  for (const c of live) c.kill('SIGKILL');
}

/**
 * What a test file of `wave` processes shares: a tag for its agents, embedded data dirs and
 * scenarios, all removed (and every child and tagged agent killed) in afterAll.
 */
export function waveProcessSuite(): {
  tag: string;
  home(): Promise<string>;
  scenario(options: ScenarioOptions): Scenario;
} {
  const tag = randomUUID();
  const homes: string[] = [];
  const scenarios: Scenario[] = [];
  afterAll(() => {
    killChildren();
    killTagged(tag);
    for (const s of scenarios) s.cleanup();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });
  return {
    tag,
    // An initialised embedded database (initdb in wasm is slow), as `wave` would leave it.
    async home() {
      const dataDir = await pgliteDataDir();
      homes.push(dataDir);
      return dataDir;
    },
    scenario(options) {
      const s = createScenario({ agentTag: tag, ...options });
      scenarios.push(s);
      return s;
    },
  };
}

/**
 * `wave run` on a scenario's repo, stories and PRD, approving the PRD as ci-bot on the way;
 * `extra` follows (e.g. `--agent command --json`).
 */
export function scenarioRunArgs(s: Scenario, ...extra: string[]): string[] {
  return [
    'run',
    '--project',
    s.repo.path,
    '--stories',
    s.storiesDir,
    '--prd',
    s.prdFile,
    '--approve-as',
    'ci-bot',
    ...extra,
  ];
}

/** The environment of a lead (cli-lead) running `wave` on a fresh embedded store, no Postgres or Redis. */
export async function embeddedLeadEnv(suite: { tag: string; home(): Promise<string> }): Promise<{
  WAVE_HOME: string;
  DATABASE_URL: string;
  REDIS_URL: string;
  WAVE_TEST_TAG: string;
  WAVE_USER: string;
}> {
  return {
    WAVE_HOME: await suite.home(),
    DATABASE_URL: '',
    REDIS_URL: '',
    WAVE_TEST_TAG: suite.tag,
    WAVE_USER: 'cli-lead',
  };
}

/** The files on `ref` (default main) of the git repo at `cwd`, one path a line. */
export function filesOn(cwd: string, ref = 'main'): string {
  return execFileSync('git', ['ls-tree', '-r', '--name-only', ref], { cwd, encoding: 'utf8' });
}
