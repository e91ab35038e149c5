/**
 * The SQLite checkpointing thread: on its own connection to the file, copies the write-ahead log
 * back into the database when asked (PASSIVE: it never waits for, nor holds up, the server's
 * writes), and empties the log file once all of it is copied and no write came for a while. A
 * checkpoint writes pages back and syncs the file; on the server's thread that cost a tenth of the
 * ingest path's time.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointWorkerData } from './checkpointer.js';

const { path } = workerData as CheckpointWorkerData;
let db: Database.Database | null = null;

parentPort?.on('message', (m: { checkpoint?: true; truncate?: boolean; stop?: true }) => {
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
    const [done] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    // Every frame is back in the database, yet the log file keeps the length of its peak: SQLite
    // cuts it to journal_size_limit only when a write starts the log over, and after a burst no
    // write may come (a compare load left 10.2 MiB on disk, and this thread was asked again every
    // 250 ms for nothing). TRUNCATE empties it. It is asked for only once the log has not changed
    // for a look of the timer (checkpointer.ts), so it never competes with a load's writes, and
    // with busy_timeout 0 it gives up at once should a reader or writer be there.
    let truncated = false;
    if (m.truncate && done && done.busy === 0 && done.log > 0 && done.log === done.checkpointed) {
      const [cut] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      truncated = cut?.busy === 0;
    }
    parentPort?.postMessage(truncated ? { ok: true, truncated: true } : { ok: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') parentPort?.postMessage({ ok: true, skipped: true });
    else parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
