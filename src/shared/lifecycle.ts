/**
 * Lifecycle of what must be released: subscriptions, timers, watchers, follows. Whoever
 * acquires one wraps it in a Disposable and adds it to the store of the thing it lives as
 * long as (a client connection, a service, the core); disposing that store releases all of
 * it, in reverse order of acquisition. Plain TypeScript, usable on both sides.
 */

export interface Disposable {
  /** Releases the resource. Calling it again does nothing. */
  dispose(): void;
}

/** A Disposable that runs `release` once, however often it is disposed. */
export function toDisposable(release: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      release();
    },
  };
}

function disposeAll(items: Iterable<Disposable>): void {
  const errors: unknown[] = [];
  for (const d of [...items].reverse()) {
    try {
      d.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} resources failed to release`);
}

/** A set of Disposables released together. Anything added after `dispose` is released at once. */
export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>();
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  get size(): number {
    return this.items.size;
  }

  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.add(item);
    return item;
  }

  /** Releases one item now and forgets it. */
  delete(item: Disposable): void {
    if (this.items.delete(item)) item.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const items = [...this.items];
    this.items.clear();
    disposeAll(items);
  }
}

/** Disposables by key: setting a key releases what it held; releasing the map releases all. */
export class DisposableMap<K> implements Disposable {
  private readonly items = new Map<K, Disposable>();
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  get size(): number {
    return this.items.size;
  }

  has(key: K): boolean {
    return this.items.has(key);
  }

  set(key: K, item: Disposable): void {
    if (this.disposed) {
      item.dispose();
      return;
    }
    const previous = this.items.get(key);
    this.items.set(key, item);
    if (previous && previous !== item) previous.dispose();
  }

  /** Releases what `key` holds now and forgets it. */
  delete(key: K): void {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    item.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const items = [...this.items.values()];
    this.items.clear();
    disposeAll(items);
  }
}
