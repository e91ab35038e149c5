/**
 * The SQLite checkpointing thread: on its own connection to the file, copies the write-ahead log
 * back into the database when asked (PASSIVE: it never waits for, nor holds up, the server's
 * writes). A checkpoint writes pages back and syncs the file; on the server's thread that cost a
 * tenth of the ingest path's time.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointWorkerData } from './checkpointer.js';

const { path } = workerData as CheckpointWorkerData;
let db: Database.Database | null = null;

parentPort?.on('message', (m: { checkpoint?: true; stop?: true }) => {
  if (m.stop) {
    db?.close();
    parentPort?.close();
    return;
  }
  try {
    if (!db) {
      db = new Database(path, { fileMustExist: true });
      // Another checkpoint under way is a reason to skip a turn, not to wait.
      db.pragma('busy_timeout = 0');
    }
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort?.postMessage({ ok: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') parentPort?.postMessage({ ok: true, skipped: true });
    else parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
