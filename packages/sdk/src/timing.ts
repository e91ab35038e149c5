/** Timers and clocks the reporter's parts share: none of them keeps the host process alive. */

/** A timer of the host (Node or a browser). */
export type Timer = ReturnType<typeof setTimeout>;

/**
 * setTimeout that never keeps the host process alive, unless `keepAlive`: stop() is awaited by the
 * host and bounded, so its waits hold the process open until it is done.
 */
export function later(fn: () => void, ms: number, keepAlive = false): Timer {
  const timer = setTimeout(fn, Math.max(0, ms));
  if (!keepAlive) (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** Resolves `promise`, or rejects after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, keepAlive = false): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = later(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms, keepAlive);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Wall-clock time, ms. */
export const now = () => Date.now();
/** A clock for durations, ms (monotonic where the host has one). */
export const monotonic = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
/** Anything thrown, as an Error. */
export const toError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
