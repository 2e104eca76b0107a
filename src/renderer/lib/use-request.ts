import { useCallback, useEffect, useState } from 'react';
import type { ApiError, Result } from '../../shared/ipc/result';

interface Outcome<T> {
  key: string;
  value: T | null;
  error: ApiError | null;
}

/**
 * Runs one typed request when its inputs change (and on reload()), never on a timer.
 * `loading` is true until the answer for the current inputs has arrived; an older
 * answer stays visible meanwhile, so live views do not flash empty.
 */
export function useRequest<T>(run: () => Promise<Result<T>>, inputs: readonly unknown[], enabled = true) {
  const [reloads, setReloads] = useState(0);
  const [outcome, setOutcome] = useState<Outcome<T> | null>(null);
  const key = JSON.stringify([reloads, ...inputs]);
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    void run().then((res) => {
      if (!cancelled)
        setOutcome(res.ok ? { key, value: res.value, error: null } : { key, value: null, error: res.error });
    });
    return () => {
      cancelled = true;
    };
    // `run` is recreated each render; `key` captures everything it depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, enabled]);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const current = outcome?.key === key;
  return {
    value: outcome?.value ?? null,
    error: current ? (outcome?.error ?? null) : null,
    loading: !current,
    reload,
  };
}
