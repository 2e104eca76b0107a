import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { deadPid } from '../../../test/helpers/pglite';
import { DirLock, pidAlive } from './dir-lock';
import { LOCK_ROLES, StoreLockedError } from './errors';

const dirLockModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dir-lock.ts');
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-lock-'));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Another process that takes the lock and holds it until killed. */
async function holdLockInChild(dir: string, role?: string): Promise<ChildProcess> {
  const code = `import { DirLock } from ${JSON.stringify(dirLockModule)}; DirLock.acquire(${JSON.stringify(dir)}, { role: ${JSON.stringify(role)} }); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('locked') && resolve());
    child.once('exit', (c) => reject(new Error(`lock holder exited with ${c}`)));
  });
  return child;
}

describe('DirLock', () => {
  it('refuses a second process, naming the holder pid and what to do', async () => {
    const dir = tempDir();
    const holder = await holdLockInChild(dir);
    let err: unknown;
    try {
      DirLock.acquire(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreLockedError);
    const msg = (err as Error).message;
    expect(msg).toContain(`process ${holder.pid}`);
    expect(msg).toMatch(/stop process \d+/);
    expect(msg).toContain('WAVE_HOME');
  });

  it('takes over the lock of a holder that was killed, and says so', async () => {
    const dir = tempDir();
    const holder = await holdLockInChild(dir);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const lines: string[] = [];
    const lock = DirLock.acquire(dir, { log: (l) => lines.push(l) });
    expect(lock.holder.pid).toBe(process.pid);
    expect(lines.join('\n')).toContain(`took over the lock of process ${holder.pid}`);
    lock.release();
    expect(fs.existsSync(path.join(dir, 'store.lock'))).toBe(false);
  });

  it('refuses a second open inside the same process until released', () => {
    const dir = tempDir();
    const a = DirLock.acquire(dir);
    expect(() => DirLock.acquire(dir)).toThrow(StoreLockedError);
    a.release();
    a.release();
    DirLock.acquire(dir).release();
  });

  it('treats a lock from another host as live (it cannot be checked from here)', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'store.lock'),
      JSON.stringify({ pid: 4242, host: 'build-server-7', startedAt: 'x', token: 't' }),
    );
    expect(() => DirLock.acquire(dir)).toThrow(/process 4242 on host build-server-7/);
  });

  it('replaces a lock left by a dead pid on this host', async () => {
    const dir = tempDir();
    const pid = await deadPid();
    fs.writeFileSync(
      path.join(dir, 'store.lock'),
      JSON.stringify({ pid, host: os.hostname(), startedAt: 'x', token: 't' }),
    );
    const lock = DirLock.acquire(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('does not delete a lock that someone else now holds', () => {
    const dir = tempDir();
    const a = DirLock.acquire(dir);
    // Simulate a takeover that happened behind our back (e.g. our lock was judged stale).
    fs.writeFileSync(
      path.join(dir, 'store.lock'),
      JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 'x', token: 'other' }),
    );
    a.release();
    expect(fs.existsSync(path.join(dir, 'store.lock'))).toBe(true);
  });

  it('names the holder by what it is (wave serve, the window, a session run) and says how to free it', async () => {
    const dir = tempDir();
    const holder = await holdLockInChild(dir, LOCK_ROLES.serve);
    let err: StoreLockedError | undefined;
    try {
      DirLock.acquire(dir);
    } catch (e) {
      err = e as StoreLockedError;
    }
    expect(err).toBeInstanceOf(StoreLockedError);
    expect(err!.holder).toMatchObject({ pid: holder.pid, role: 'wave serve' });
    expect(err!.message).toContain(`in use by wave serve (process ${holder.pid}`);
    expect(err!.message).toContain('Ctrl+C');
  });

  it('treats a zombie holder (exited, not yet reaped) as dead and takes the lock over', async () => {
    const dir = tempDir();
    // sh starts a background child and execs into sleep, which never reaps it: the child,
    // which ends only after the exec (so sh cannot reap it first), stays a zombie (state Z
    // in /proc/<pid>/stat) while its pid still answers kill(pid, 0).
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(parent);
    const zombie = Number(
      await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d).trim()))),
    );
    for (let i = 0; i < 1000 && !fs.readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8')).toContain(') Z ');
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(pidAlive(zombie)).toBe(false);
    fs.writeFileSync(
      path.join(dir, 'store.lock'),
      JSON.stringify({ pid: zombie, host: os.hostname(), startedAt: 'x', token: 't', role: LOCK_ROLES.session }),
    );
    const lines: string[] = [];
    const lock = DirLock.acquire(dir, { log: (l) => lines.push(l) });
    expect(lock.holder.pid).toBe(process.pid);
    expect(lines.join('\n')).toContain(`took over the lock of process ${zombie}`);
    lock.release();
  });
});
