import { useSyncExternalStore } from 'react';

// One wall clock for every "elapsed" label and running bar. It only reads Date.now():
// it never fetches, and it ticks only while something on screen subscribes to it.
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setTimeout> | null = null;

function tick(): void {
  now = Date.now();
  for (const l of listeners) l();
  // Align to the next whole second so every label changes together.
  timer = setTimeout(tick, 1000 - (now % 1000));
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setTimeout(tick, 1000 - (now % 1000));
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearTimeout(timer);
      timer = null;
    }
  };
}

function noopSubscribe(): () => void {
  return () => {};
}
const read = () => now;

/** Date.now(), refreshed once a second while `live`; frozen at the last tick otherwise, so idle views cost nothing. */
export function useNow(live = true): number {
  return useSyncExternalStore(live ? subscribe : noopSubscribe, read, read);
}
