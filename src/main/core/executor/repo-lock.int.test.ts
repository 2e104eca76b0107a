import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepoLock } from './repo-lock';

let dir: string;
let gitDir: string;

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'wave-lock-')));
  gitDir = join(dir, '.git');
  mkdirSync(gitDir);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForFile(path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear`);
    await sleep(10);
  }
}

/** Runs RepoLock in another process: takes `mode`, writes `<name>-in`, holds, checks `peek`, writes `<name>-out`. */
function otherProcess(mode: 'exclusive' | 'shared', name: string, holdMs: number, peek: string) {
  const script = join(dir, `${name}.mts`);
  writeFileSync(
    script,
    `import { existsSync, writeFileSync } from 'node:fs';
import { RepoLock } from ${JSON.stringify(resolve(__dirname, 'repo-lock.ts'))};
const lock = RepoLock.forGitDir(${JSON.stringify(gitDir)});
await lock.${mode}(async () => {
  writeFileSync(${JSON.stringify(join(dir, `${name}-in`))}, existsSync(${JSON.stringify(peek)}) ? 'saw' : 'not-seen');
  await new Promise((r) => setTimeout(r, ${holdMs}));
  writeFileSync(${JSON.stringify(join(dir, `${name}-out`))}, '');
});
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
  return new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
}

describe('RepoLock across processes', () => {
  it('a shared holder here waits for an exclusive holder in another process', async () => {
    const other = otherProcess('exclusive', 'child', 600, join(dir, 'never'));
    await waitForFile(join(dir, 'child-in'));
    const lock = RepoLock.forGitDir(gitDir);
    const sawRelease = await lock.shared(async () => existsSync(join(dir, 'child-out')));
    expect(sawRelease).toBe(true);
    expect(await other).toBe(0);
  });

  it('an exclusive holder in another process waits for our shared holders', async () => {
    const lock = RepoLock.forGitDir(gitDir);
    let release!: () => void;
    const held = lock.shared(async () => {
      writeFileSync(join(dir, 'parent-in'), '');
      await new Promise<void>((r) => (release = r));
      writeFileSync(join(dir, 'parent-out'), '');
    });
    await waitForFile(join(dir, 'parent-in'));
    const other = otherProcess('exclusive', 'child', 0, join(dir, 'parent-out'));
    await sleep(800);
    expect(existsSync(join(dir, 'child-in'))).toBe(false);
    release();
    await held;
    expect(await other).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(dir, 'child-in'), 'utf8')).toBe('saw');
  });

  it('takes over a lock left by a dead process', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    mkdirSync(join(gitDir, 'wave-locks'), { recursive: true });
    writeFileSync(
      join(gitDir, 'wave-locks', 'exclusive.lock'),
      JSON.stringify({ pid, startTime: 1, host: hostname() }),
    );
    writeFileSync(
      join(gitDir, 'wave-locks', `shared-${pid}.lock`),
      JSON.stringify({ pid, startTime: 1, host: hostname() }),
    );
    const lock = RepoLock.forGitDir(gitDir);
    expect(await lock.exclusive(async () => 'got it')).toBe('got it');
    expect(await lock.shared(async () => 'and shared')).toBe('and shared');
  });

  it('gives up with a message naming the holder when a live process keeps the lock', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { stdio: 'ignore' });
    const stat = (await import('node:fs')).readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const otherGitDir = join(dir, 'other.git');
    mkdirSync(join(otherGitDir, 'wave-locks'), { recursive: true });
    writeFileSync(
      join(otherGitDir, 'wave-locks', 'exclusive.lock'),
      JSON.stringify({ pid: holder.pid, startTime, host: hostname() }),
    );
    const lock = RepoLock.forGitDir(otherGitDir, { timeoutMs: 300 });
    try {
      await expect(lock.shared(async () => 1)).rejects.toMatchObject({ code: 'lock_timeout' });
      await expect(lock.shared(async () => 1)).rejects.toThrow(`held by process ${holder.pid}`);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('RepoLock in process', () => {
  it('lets shared holders overlap and keeps exclusive holders alone', async () => {
    const lock = RepoLock.forGitDir(gitDir);
    const log: string[] = [];
    const shared = (name: string) =>
      lock.shared(async () => {
        log.push(`${name}+`);
        await sleep(50);
        log.push(`${name}-`);
      });
    const exclusive = (name: string) =>
      lock.exclusive(async () => {
        log.push(`${name}+`);
        await sleep(20);
        log.push(`${name}-`);
      });
    await Promise.all([shared('s1'), shared('s2'), exclusive('x1'), shared('s3'), exclusive('x2')]);
    // s1 and s2 overlap; x1 waits for both; s3 (queued behind x1) runs after it; x2 last.
    expect(log.slice(0, 2).sort()).toEqual(['s1+', 's2+']);
    expect(log.slice(2, 4).sort()).toEqual(['s1-', 's2-']);
    expect(log.slice(4)).toEqual(['x1+', 'x1-', 's3+', 's3-', 'x2+', 'x2-']);
  });

  it('releases the lock when the holder throws', async () => {
    const lock = RepoLock.forGitDir(gitDir);
    await expect(lock.exclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.exclusive(async () => 'free again')).toBe('free again');
    expect(existsSync(join(gitDir, 'wave-locks', 'exclusive.lock'))).toBe(false);
  });
});
