/**
 * The SQLite checkpointing thread: on its own connection to the file, copies the write-ahead log
 * back into the database (PASSIVE: never waits for, nor holds up, the server's writes) whenever the
 * log has grown past its limit. A checkpoint writes pages back and syncs the file; on the server's
 * thread that cost a tenth of the ingest path's time.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointWorkerData } from './checkpointer.js';

const { path, walLimitBytes, intervalMs } = workerData as CheckpointWorkerData;
const db = new Database(path, { fileMustExist: true });
// Another checkpoint under way (the server's, at close) is a reason to skip a turn, not to wait.
db.pragma('busy_timeout = 0');

function walBytes(): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

const timer = setInterval(() => {
  if (walBytes() <= walLimitBytes) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort?.postMessage({ ok: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return;
    parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}, intervalMs);

parentPort?.on('message', (m: { stop?: boolean }) => {
  if (!m.stop) return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
