import { ExecutorError } from './errors';

export interface PoolTaskContext {
  /** Aborted when the pool is closed or the task's queue entry is cancelled. */
  signal: AbortSignal;
}

interface QueuedTask {
  id: string;
  run: (context: PoolTaskContext) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  controller: AbortController;
}

/**
 * Runs at most `concurrency` stories at once; the rest wait in FIFO order. Each task is
 * isolated: its failure (a rejection, a synchronous throw) settles only its own promise
 * and frees its slot. A hanging task holds one slot until its own timeout ends it; it
 * never blocks the others beyond that.
 */
export class ExecutorPool {
  private readonly queue: QueuedTask[] = [];
  private readonly running = new Map<string, QueuedTask>();
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private counter = 0;

  constructor(private concurrency: number) {
    this.setConcurrency(concurrency);
  }

  get active(): number {
    return this.running.size;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Changes the limit; more tasks start at once if it grew. */
  setConcurrency(concurrency: number): void {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ExecutorError(
        'invalid_config',
        `The concurrency limit must be a whole number of at least 1 (got ${concurrency}).`,
      );
    }
    this.concurrency = concurrency;
    this.pump();
  }

  /** Queues a task; resolves or rejects with the task's own outcome. */
  submit<T>(run: (context: PoolTaskContext) => Promise<T>, options: { id?: string } = {}): Promise<T> {
    if (this.closed)
      return Promise.reject(new ExecutorError('pool_closed', 'The executor is shutting down; no new story can start.'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        id: options.id ?? `task-${++this.counter}`,
        run: run as QueuedTask['run'],
        resolve: resolve as QueuedTask['resolve'],
        reject,
        controller: new AbortController(),
      });
      this.pump();
    });
  }

  /** Removes tasks that have not started (all, or those whose id matches); they reject with `pool_cancelled`. */
  cancelPending(filter?: (id: string) => boolean): number {
    let cancelled = 0;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const task = this.queue[i]!;
      if (filter && !filter(task.id)) continue;
      this.queue.splice(i, 1);
      task.controller.abort();
      task.reject(
        new ExecutorError('pool_cancelled', `Story task ${task.id} was cancelled before it started.`, { id: task.id }),
      );
      cancelled++;
    }
    this.notifyIdle();
    return cancelled;
  }

  /** Resolves when nothing runs and nothing waits. */
  onIdle(): Promise<void> {
    if (this.running.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels waiting tasks, signals running ones to abort, and waits for them. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelPending();
    for (const task of this.running.values()) task.controller.abort();
    await this.onIdle();
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0) {
      const task = this.queue.shift()!;
      const key = `${task.id}#${++this.counter}`;
      this.running.set(key, task);
      let promise: Promise<unknown>;
      try {
        promise = Promise.resolve(task.run({ signal: task.controller.signal }));
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then(task.resolve, task.reject).finally(() => {
        this.running.delete(key);
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private notifyIdle(): void {
    if (this.running.size > 0 || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
