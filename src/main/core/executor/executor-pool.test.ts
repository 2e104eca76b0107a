import { describe, expect, it } from 'vitest';
import { ExecutorPool } from './executor-pool';

const tick = () => new Promise((r) => setTimeout(r, 5));

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ExecutorPool', () => {
  it('never runs more than the limit at once and starts queued tasks in order', async () => {
    const pool = new ExecutorPool(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const results = gates.map((g, i) =>
      pool.submit(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(pool.active).toBe(2);
    expect(pool.pending).toBe(2);
    gates[1]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    gates[3]!.resolve();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3]);
    await pool.onIdle();
  });

  it('isolates failures: a throwing or rejecting task settles only its own promise', async () => {
    const pool = new ExecutorPool(1);
    const sync = pool.submit(() => {
      throw new Error('sync boom');
    });
    const async = pool.submit(async () => {
      throw new Error('async boom');
    });
    const fine = pool.submit(async () => 'fine');
    await expect(sync).rejects.toThrow('sync boom');
    await expect(async).rejects.toThrow('async boom');
    expect(await fine).toBe('fine');
  });

  it('a hanging task holds one slot only; the others keep flowing', async () => {
    const pool = new ExecutorPool(2);
    const hang = deferred();
    const hanging = pool.submit(() => hang.promise);
    const done = await Promise.all([1, 2, 3].map((i) => pool.submit(async () => i)));
    expect(done).toEqual([1, 2, 3]);
    expect(pool.active).toBe(1);
    hang.resolve();
    await hanging;
  });

  it('cancels waiting tasks, aborts running ones on close, and refuses new ones', async () => {
    const pool = new ExecutorPool(1);
    let aborted = false;
    const running = pool.submit(
      ({ signal }) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
    );
    const waiting = pool.submit(async () => 'never');
    await tick();
    const closing = pool.close();
    await expect(waiting).rejects.toMatchObject({ code: 'pool_cancelled' });
    await running;
    await closing;
    expect(aborted).toBe(true);
    await expect(pool.submit(async () => 1)).rejects.toMatchObject({ code: 'pool_closed' });
    await pool.close();
  });

  it('raising the limit starts waiting tasks at once', async () => {
    const pool = new ExecutorPool(1);
    const hold = deferred();
    let second = false;
    void pool.submit(() => hold.promise);
    void pool.submit(async () => {
      second = true;
    });
    await tick();
    expect(second).toBe(false);
    pool.setConcurrency(2);
    await tick();
    expect(second).toBe(true);
    expect(() => pool.setConcurrency(0)).toThrow(/at least 1/);
    hold.resolve();
    await pool.onIdle();
  });
});
