/** Small hooks the pages share: loading data, debouncing, ticking clocks, refreshing. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from './context.js';
import type { LiveBatch } from './live.js';

/** What useAsync gives back. */
export interface AsyncState<T> {
  data: T | undefined;
  error: Error | undefined;
  /** True until the first answer (later reloads keep showing the previous data). */
  loading: boolean;
  reload: () => void;
  setData: (update: (prev: T | undefined) => T | undefined) => void;
}

/**
 * Runs `load` now and whenever `deps` change, cancelling the previous call; `reload` runs it again
 * keeping the current data on screen (no flash of a spinner on refresh).
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const depsKey = JSON.stringify(deps);
  const lastKey = useRef<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    if (lastKey.current !== depsKey) {
      lastKey.current = depsKey;
      setLoading(true);
    }
    loadRef
      .current(controller.signal)
      .then((value) => {
        if (controller.signal.aborted) return;
        setDataState(() => value);
        setError(undefined);
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted || (err as Error).name === 'AbortError') return;
        setError(err as Error);
        setLoading(false);
      });
    return () => controller.abort();
  }, [depsKey, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((update: (prev: T | undefined) => T | undefined) => setDataState((prev) => update(prev)), []);
  return { data, error, loading, reload, setData };
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** The time, re-rendering every `ms` (for "5 min ago" labels). */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** A function that runs `fn` at most once per `ms` (trailing call kept). */
export function useThrottled(fn: () => void, ms: number): () => void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const state = useRef<{ last: number; timer: ReturnType<typeof setTimeout> | null }>({ last: 0, timer: null });
  useEffect(() => () => {
    if (state.current.timer) clearTimeout(state.current.timer);
  }, []);
  return useCallback(() => {
    const s = state.current;
    if (s.timer) return;
    const wait = Math.max(0, s.last + ms - Date.now());
    s.timer = setTimeout(() => {
      s.timer = null;
      s.last = Date.now();
      fnRef.current();
    }, wait);
  }, [ms]);
}

/**
 * Keeps a page fresh: with real-time updates on, `onBatch` sees every live batch (and a `resync`
 * reloads); otherwise, or while the stream is down, `reload` runs every refresh_interval_seconds
 * while the tab is visible, and once when it becomes visible again.
 */
export function useRefresh(reload: () => void, onBatch?: (batch: LiveBatch) => void): void {
  const { live, liveState, config } = useApp();
  const reloadRef = useRef(reload);
  reloadRef.current = reload;
  const batchRef = useRef(onBatch);
  batchRef.current = onBatch;
  const realtime = config.enable_real_time_updates && live !== null;
  // While the stream is down (reconnecting, or a server without one), poll instead.
  const streaming = realtime && liveState === 'live';
  const intervalMs = Math.max(5, config.refresh_interval_seconds) * 1000;

  useEffect(() => {
    if (!realtime || !live) return;
    return live.subscribe((batch) => {
      if (batch.resync) reloadRef.current();
      batchRef.current?.(batch);
    });
  }, [realtime, live]);

  useEffect(() => {
    if (streaming) return;
    let last = Date.now();
    const tick = () => {
      if (document.visibilityState !== 'visible') return;
      last = Date.now();
      reloadRef.current();
    };
    const timer = setInterval(tick, intervalMs);
    const onVisible = () => {
      if (document.visibilityState === 'visible' && Date.now() - last >= intervalMs) tick();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [streaming, intervalMs]);
}
