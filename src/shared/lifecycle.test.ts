import { describe, expect, it } from 'vitest';
import { DisposableMap, DisposableStore, toDisposable } from './lifecycle';

describe('lifecycle', () => {
  it('releases everything once, newest first, and what is added later at once', () => {
    const released: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => released.push('timer')));
    const watcher = store.add(toDisposable(() => released.push('watcher')));
    watcher.dispose();
    store.add(toDisposable(() => released.push('subscription')));
    store.dispose();
    store.dispose();
    expect(released).toEqual(['watcher', 'subscription', 'timer']);
    store.add(toDisposable(() => released.push('late')));
    expect(released.at(-1)).toBe('late');
    expect(store.size).toBe(0);
  });

  it('keeps releasing the rest when one release throws, then reports it', () => {
    const released: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => released.push('a')));
    store.add(
      toDisposable(() => {
        throw new Error('watcher already closed');
      }),
    );
    expect(() => store.dispose()).toThrow('watcher already closed');
    expect(released).toEqual(['a']);
  });

  it('holds one disposable per key: replacing or deleting a key releases what it held', () => {
    const released: string[] = [];
    const map = new DisposableMap<string>();
    map.set(
      'follow:1',
      toDisposable(() => released.push('first')),
    );
    map.set(
      'follow:1',
      toDisposable(() => released.push('second')),
    );
    map.set(
      'follow:2',
      toDisposable(() => released.push('other')),
    );
    expect(released).toEqual(['first']);
    map.delete('follow:1');
    map.delete('follow:1');
    expect(released).toEqual(['first', 'second']);
    map.dispose();
    expect(released).toEqual(['first', 'second', 'other']);
    expect(map.size).toBe(0);
  });
});
