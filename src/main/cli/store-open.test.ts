import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_ROLES } from '../store/errors';
import { runCliCaptured } from '../../../test/helpers/cli';
import { commands } from './commands';

const dirLockModule = path.join(path.dirname(fileURLToPath(import.meta.url)), '../store/dir-lock.ts');
let dir: string;
let holder: ChildProcess;

/** A process that holds the data dir the way `wave serve` does, until killed. */
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-held-'));
  const code = `import { DirLock } from ${JSON.stringify(dirLockModule)}; DirLock.acquire(${JSON.stringify(dir)}, { role: ${JSON.stringify(LOCK_ROLES.serve)} }); console.log('locked'); setInterval(() => {}, 1000);`;
  holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d) => String(d).includes('locked') && resolve());
    holder.once('exit', (c) => reject(new Error(`lock holder exited with ${c}`)));
  });
});
afterAll(async () => {
  if (holder.exitCode === null) {
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

const wave = (...argv: string[]) =>
  runCliCaptured(argv, { commands, env: { WAVE_HOME: dir, PATH: process.env.PATH }, cwd: dir });

describe('a data dir held by another process', () => {
  it('a second wave serve names the holder and its pid with a clean error code, never "Unexpected error"', async () => {
    const r = await wave('serve', '--port', '0', '--json');
    expect(r.code).toBe(1);
    const error = JSON.parse(r.stdout).error as { code: string; message: string };
    expect(error.code).toBe('store_locked');
    expect(error.message).toContain(`in use by wave serve (process ${holder.pid}`);
    expect(error.message).not.toMatch(/Unexpected error/);
    const human = await wave('serve', '--port', '0');
    expect(human.stderr).toMatch(/^wave: The WAVE data directory .* is in use by wave serve/);
  });

  it('wave status says that wave serve holds the store, not a session', async () => {
    const r = await wave('status');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`held by wave serve (process ${holder.pid})`);
    expect(r.stdout).not.toContain("session's process");
    // The store cannot be read for the PRDs to name, so the hint is one that runs as printed.
    expect(r.stdout).toContain('Start one with wave run (see wave run --help).');
    const json = JSON.parse((await wave('status', '--json')).stdout);
    expect(json).toMatchObject({ partial: true, held_by: { role: 'wave serve', pid: holder.pid } });
  });
});
