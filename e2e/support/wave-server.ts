import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunningWave {
  url: string;
  port: number;
  dataDir: string;
  /** Everything the server wrote to stderr so far (its log). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `wave serve --json` on a fresh data dir, exactly as a user would, and waits for its URL. */
export async function startWaveServer(env: NodeJS.ProcessEnv = {}): Promise<RunningWave> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wave-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['bin/wave.mjs', 'serve', '--json', '--port', '0'], {
    cwd: process.cwd(),
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env, WAVE_HOME: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const info = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`wave serve printed no URL within 60 s. Its log:\n${stderr}`)), 60_000);
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
  return {
    ...info,
    dataDir,
    log: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
