/**
 * Keeps a SQLite file's write-ahead log small without checkpointing on the server's thread. The
 * server's connection stops checkpointing by itself; a timer looks at the log's size and, once it
 * passes `walLimitBytes`, asks a worker thread (checkpoint-worker.ts, started on first need) for a
 * checkpoint. Should the thread fail, the server's connection takes checkpoints back (SQLite's
 * own, every 256 pages) and the failure is reported: the log never grows without bound.
 */
import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';

/** What the worker is started with. */
export interface CheckpointWorkerData {
  path: string;
}

/** The server connection's own checkpoint interval, in pages, when it checkpoints by itself. */
export const INLINE_CHECKPOINT_PAGES = 256;

/** A running checkpointer; `close()` stops its thread (the connection's close then checkpoints the rest). */
export interface Checkpointer {
  /** Checkpoints the thread has run. */
  readonly checkpoints: number;
  /** Times the thread emptied the log file (a quiet log, all of it checkpointed). */
  readonly truncations: number;
  /** True while checkpoints happen on the thread, false once they went back to the server's connection. */
  readonly offThread: boolean;
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** Log size that calls for a checkpoint (default 1 MiB). */
  walLimitBytes?: number;
  /** How often the log's size is looked at, ms (default 250). */
  intervalMs?: number;
  /** Where a failure of the thread is reported. */
  onError?: (message: string) => void;
}

/** Moves `db`'s checkpoints (a WAL-mode file database at `path`) to a worker thread. */
export function startCheckpointer(db: Database.Database, path: string, options: CheckpointerOptions = {}): Checkpointer {
  const walLimitBytes = options.walLimitBytes ?? 1024 * 1024;
  const state = { checkpoints: 0, truncations: 0, offThread: true, closing: false, inFlight: false };
  let worker: Worker | null = null;
  db.pragma('wal_autocheckpoint = 0');

  const fallBack = (why: string): void => {
    if (!state.offThread || state.closing) return;
    state.offThread = false;
    clearInterval(timer);
    if (db.open) db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
    options.onError?.(`SQLite checkpoints moved back to the server's thread: ${why}`);
    void worker?.terminate();
  };
  const ensureWorker = (): Worker => {
    if (worker) return worker;
    const w = startWorker(import.meta.url, 'checkpoint-worker', { workerData: { path } satisfies CheckpointWorkerData });
    w.on('message', (m: { ok: true; skipped?: true; truncated?: true } | { ok: false; error: string }) => {
      state.inFlight = false;
      if (!m.ok) fallBack(`a checkpoint failed: ${m.error}`);
      else if (!m.skipped) {
        state.checkpoints += 1;
        if (m.truncated) state.truncations += 1;
      }
    });
    w.on('error', (err) => fallBack(err.message));
    w.on('exit', (code) => fallBack(`the checkpoint thread exited (code ${code})`));
    w.unref();
    worker = w;
    return w;
  };
  /** The log file's size and modification time (0 and 0 when it is not there). */
  const walFile = (): { size: number; mtimeMs: number } => {
    try {
      return statSync(`${path}-wal`);
    } catch {
      return { size: 0, mtimeMs: 0 };
    }
  };
  let lastLook = { size: -1, mtimeMs: -1 };
  const timer = setInterval(() => {
    const look = walFile();
    // Unchanged since the last look: no write came meanwhile, so the thread may empty the file.
    const quiet = look.size === lastLook.size && look.mtimeMs === lastLook.mtimeMs;
    lastLook = look;
    if (state.inFlight || look.size <= walLimitBytes) return;
    state.inFlight = true;
    ensureWorker().postMessage({ checkpoint: true, truncate: quiet });
  }, options.intervalMs ?? 250);
  timer.unref();

  return {
    get checkpoints() {
      return state.checkpoints;
    },
    get truncations() {
      return state.truncations;
    },
    get offThread() {
      return state.offThread;
    },
    async close() {
      if (state.closing) return;
      state.closing = true;
      clearInterval(timer);
      const w = worker;
      if (!w || !state.offThread) return;
      // Held while it stops: an unreferenced thread's exit would not keep the process waiting for it.
      w.ref();
      await new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.postMessage({ stop: true });
      });
    },
  };
}
