import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunningWave {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Everything the server wrote to stderr so far (its log). */
  log(): string;
  /** SIGTERM (then SIGKILL after 10 s) and remove the data dir unless it was given by the caller. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: nothing is cleaned up and the data dir stays. */
  kill(): Promise<void>;
}

export interface WaveServerOptions {
  env?: NodeJS.ProcessEnv;
  /** Run on this data dir (kept on stop); default: a fresh one, removed on stop. */
  dataDir?: string;
  /** Keep even a fresh data dir on stop (global setup keeps its template). */
  keepDataDir?: boolean;
}

/** Env var through which global setup hands a migrated, cleanly shut down data dir to every server. */
export const TEMPLATE_ENV = 'WAVE_E2E_TEMPLATE';

/**
 * A fresh data dir. The first start of the embedded database takes long (initdb and
 * migrations), so global setup makes one once and each test gets a copy of it: the same
 * state a first start leaves, in a fraction of the time.
 */
export function freshDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wave-e2e-'));
  const template = process.env[TEMPLATE_ENV];
  // Not the control sockets a server left there (a copy carries no live socket; Node cannot copy one).
  if (template && existsSync(template))
    cpSync(template, dir, { recursive: true, filter: (src) => path.basename(src) !== 'control-sockets' });
  return dir;
}

/** Starts `wave serve --json`, exactly as a user would, and waits for its URL. */
export async function startWaveServer(opts: WaveServerOptions = {}): Promise<RunningWave> {
  const ownDir = !opts.dataDir && !opts.keepDataDir;
  const dataDir = opts.dataDir ?? freshDataDir();
  const child: ChildProcess = spawn(process.execPath, ['bin/wave.mjs', 'serve', '--json', '--port', '0'], {
    cwd: process.cwd(),
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...opts.env, WAVE_HOME: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let info: { url: string; port: number };
  try {
    info = await new Promise<{ url: string; port: number }>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`wave serve printed no URL within 90 s. Its log:\n${stderr}`)),
        90_000,
      );
      child.stdout?.on('data', (d) => {
        out += String(d);
        const line = out.split('\n').find((l) => l.trim().startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`wave serve exited with ${code} before printing its URL. Its log:\n${stderr}`));
      });
    });
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return {
    ...info,
    pid: child.pid ?? -1,
    dataDir,
    log: () => stderr,
    kill,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
