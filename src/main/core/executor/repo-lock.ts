import { mkdirSync, readdirSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ExecutorError } from './errors';
import { isProcessAlive, readProcStat } from './proc';

/**
 * A per-repository readers–writer lock, in process and across processes.
 *
 * Why two modes: git itself makes some state changes safe to run side by side (adding
 * worktrees with distinct names, creating distinct branches, committing on distinct
 * branches), and serialising those would make starting 8 stories 8 times slower. Others
 * must run alone: merging into the target branch, deleting branches (packed-refs),
 * pruning and reconciling (a prune racing an add can delete the half-made worktree).
 * `shared()` is for the first kind, `exclusive()` for the second.
 *
 * Across processes the lock lives in `<git-common-dir>/wave-locks/`: `exclusive.lock`
 * (created with O_EXCL) and one `shared-<pid>.lock` marker per process holding shared
 * access. A writer creates its file, then waits for other processes' markers to go; a
 * reader writes its marker, then backs off if a writer's file exists. Whichever order
 * the two run in, one of them sees the other. Files of dead holders (pid gone, or pid
 * reused: start time differs) are removed; holders on another host are never presumed dead.
 */
export class RepoLock {
  private static readonly instances = new Map<string, RepoLock>();

  /** The one lock of a repository in this process (keyed by the real path of its git dir). */
  static forGitDir(commonGitDir: string, options: { timeoutMs?: number } = {}): RepoLock {
    const key = realpathSync(commonGitDir);
    let lock = RepoLock.instances.get(key);
    if (!lock) {
      lock = new RepoLock(join(key, 'wave-locks'), options.timeoutMs ?? 120_000);
      RepoLock.instances.set(key, lock);
    }
    return lock;
  }

  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; grant: () => void }> = [];
  private sharedHolders = 0;
  private markerChain: Promise<void> = Promise.resolve();
  private readonly self: Holder;

  private constructor(
    readonly lockDir: string,
    private readonly timeoutMs: number,
  ) {
    this.self = {
      pid: process.pid,
      startTime: readProcStat(process.pid)?.startTime ?? 0,
      host: hostname(),
    };
  }

  /** Runs `fn` while no other holder (in any process) has the repository. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.enter(true);
    try {
      await this.takeExclusiveFile();
      try {
        return await fn();
      } finally {
        this.removeFile(this.exclusivePath);
      }
    } finally {
      this.leave(true);
    }
  }

  /** Runs `fn` alongside other shared holders, but never during an exclusive holder. */
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.enter(false);
    try {
      this.sharedHolders += 1;
      if (this.sharedHolders === 1) {
        const take = () => this.takeSharedMarker();
        this.markerChain = this.markerChain.then(take, take);
      }
      try {
        await this.markerChain;
        return await fn();
      } finally {
        this.sharedHolders -= 1;
        if (this.sharedHolders === 0) {
          const drop = () => this.removeFile(this.sharedPath);
          this.markerChain = this.markerChain.then(drop, drop);
        }
      }
    } finally {
      this.leave(false);
    }
  }

  // ---- in-process readers–writer part (writer-preferring, FIFO) ----

  private enter(exclusive: boolean): Promise<void> {
    const free = exclusive ? !this.writer && this.readers === 0 : !this.writer;
    if (free && this.waiting.length === 0) {
      if (exclusive) this.writer = true;
      else this.readers += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ exclusive, grant: resolve }));
  }

  private leave(exclusive: boolean): void {
    if (exclusive) this.writer = false;
    else this.readers -= 1;
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (next.exclusive) {
        if (this.writer || this.readers > 0) return;
        this.waiting.shift();
        this.writer = true;
        next.grant();
        return;
      }
      if (this.writer) return;
      this.waiting.shift();
      this.readers += 1;
      next.grant();
    }
  }

  // ---- cross-process part ----

  private get exclusivePath(): string {
    return join(this.lockDir, 'exclusive.lock');
  }

  private get sharedPath(): string {
    return join(this.lockDir, `shared-${process.pid}.lock`);
  }

  private async takeExclusiveFile(): Promise<void> {
    mkdirSync(this.lockDir, { recursive: true });
    const deadline = Date.now() + this.timeoutMs;
    const body = JSON.stringify({ ...this.self, at: new Date().toISOString() });
    let delay = 1;
    for (;;) {
      try {
        writeFileSync(this.exclusivePath, body, { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = this.readHolder(this.exclusivePath);
      if (holder && !this.holderAlive(holder.holder)) {
        this.removeIfUnchanged(this.exclusivePath, holder.raw);
        continue;
      }
      if (Date.now() > deadline) throw this.timeoutError(holder?.holder);
      delay = await pause(delay);
    }
    // Writer file is ours: now wait until no other process holds shared access.
    delay = 1;
    for (;;) {
      const others = this.otherSharedMarkers();
      if (others.length === 0) return;
      if (Date.now() > deadline) {
        this.removeFile(this.exclusivePath);
        throw this.timeoutError(others[0]);
      }
      delay = await pause(delay);
    }
  }

  private async takeSharedMarker(): Promise<void> {
    mkdirSync(this.lockDir, { recursive: true });
    const deadline = Date.now() + this.timeoutMs;
    const body = JSON.stringify({ ...this.self, at: new Date().toISOString() });
    let delay = 1;
    for (;;) {
      writeFileSync(this.sharedPath, body);
      const holder = this.readHolder(this.exclusivePath);
      if (!holder) return;
      if (!this.holderAlive(holder.holder)) {
        this.removeIfUnchanged(this.exclusivePath, holder.raw);
        return;
      }
      // A writer in another process got there first: step aside until it is done.
      this.removeFile(this.sharedPath);
      if (Date.now() > deadline) throw this.timeoutError(holder.holder);
      delay = await pause(delay);
    }
  }

  private otherSharedMarkers(): Holder[] {
    const others: Holder[] = [];
    let names: string[];
    try {
      names = readdirSync(this.lockDir);
    } catch {
      return others;
    }
    for (const name of names) {
      if (!name.startsWith('shared-') || name === `shared-${process.pid}.lock`) continue;
      const path = join(this.lockDir, name);
      const holder = this.readHolder(path);
      if (!holder) continue;
      if (this.holderAlive(holder.holder)) others.push(holder.holder);
      else this.removeIfUnchanged(path, holder.raw);
    }
    return others;
  }

  private readHolder(path: string): { holder: Holder; raw: string } | null {
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch {
      return null;
    }
    try {
      return { holder: JSON.parse(raw) as Holder, raw };
    } catch {
      // Half-written by a holder that is creating it right now: treat as alive.
      return { holder: { pid: -1, startTime: 0, host: '' }, raw };
    }
  }

  private holderAlive(holder: Holder): boolean {
    if (holder.pid === -1) return true;
    if (holder.host !== this.self.host) return true;
    return isProcessAlive(holder.pid, holder.startTime || undefined);
  }

  private removeIfUnchanged(path: string, raw: string): void {
    try {
      if (readFileSync(path, 'utf8') === raw) unlinkSync(path);
    } catch {
      // Already gone: someone else cleaned it up.
    }
  }

  private removeFile(path: string): void {
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  }

  private timeoutError(holder: Holder | undefined): ExecutorError {
    const who = holder && holder.pid > 0 ? `process ${holder.pid} on ${holder.host}` : 'another process';
    return new ExecutorError(
      'lock_timeout',
      `Gave up waiting ${Math.round(this.timeoutMs / 1000)} s for the repository lock in ${this.lockDir}: it is held by ${who}. ` +
        `If no wave process is running there, delete the files in ${this.lockDir} and retry.`,
      { lockDir: this.lockDir, holder },
    );
  }
}

interface Holder {
  pid: number;
  startTime: number;
  host: string;
}

async function pause(delay: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, delay));
  return Math.min(delay * 2, 25);
}
