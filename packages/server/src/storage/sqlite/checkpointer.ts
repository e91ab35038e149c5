/**
 * Keeps a SQLite file's write-ahead log small without checkpointing on the server's thread: a
 * worker thread (checkpoint-worker.ts) checkpoints when the log passes `walLimitBytes`, and the
 * server's connection stops checkpointing by itself. Should the worker fail, the server's
 * connection takes checkpoints back (SQLite's own, every 256 pages) and the failure is reported:
 * the log never grows without bound.
 */
import type Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';

/** What the worker is started with. */
export interface CheckpointWorkerData {
  path: string;
  walLimitBytes: number;
  intervalMs: number;
}

/** The server connection's own checkpoint interval, in pages, when it checkpoints by itself. */
export const INLINE_CHECKPOINT_PAGES = 256;

/** A running checkpointer; `close()` stops its thread (the connection's close then checkpoints the rest). */
export interface Checkpointer {
  /** Checkpoints the worker has run. */
  readonly checkpoints: number;
  /** True while checkpoints happen on the worker, false once they went back to the server's connection. */
  readonly offThread: boolean;
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  walLimitBytes?: number;
  intervalMs?: number;
  /** Where a failure of the worker is reported. */
  onError?: (message: string) => void;
}

/** Moves `db`'s checkpoints (a WAL-mode file database) to a worker thread. */
export function startCheckpointer(db: Database.Database, path: string, options: CheckpointerOptions = {}): Checkpointer {
  const data: CheckpointWorkerData = { path, walLimitBytes: options.walLimitBytes ?? 1024 * 1024, intervalMs: options.intervalMs ?? 250 };
  const state = { checkpoints: 0, offThread: true, closing: false };
  const worker: Worker = startWorker(import.meta.url, 'checkpoint-worker', { workerData: data });
  db.pragma('wal_autocheckpoint = 0');
  const fallBack = (why: string): void => {
    if (!state.offThread || state.closing) return;
    state.offThread = false;
    if (db.open) db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
    options.onError?.(`SQLite checkpoints moved back to the server's thread: ${why}`);
    void worker.terminate();
  };
  worker.on('message', (m: { ok: true } | { ok: false; error: string }) => {
    if (m.ok) state.checkpoints += 1;
    else fallBack(`a checkpoint failed: ${m.error}`);
  });
  worker.on('error', (err) => fallBack(err.message));
  worker.on('exit', (code) => fallBack(`the checkpoint thread exited (code ${code})`));
  worker.unref();
  return {
    get checkpoints() {
      return state.checkpoints;
    },
    get offThread() {
      return state.offThread;
    },
    async close() {
      if (state.closing) return;
      state.closing = true;
      if (!state.offThread) return;
      // Held while it stops: an unreferenced thread's exit would not keep the process waiting for it.
      worker.ref();
      await new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage({ stop: true });
      });
    },
  };
}
