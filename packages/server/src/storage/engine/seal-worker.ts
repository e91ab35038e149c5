/**
 * The series engine's sealing thread: runs the jobs sealer.ts posts (head flushes and block merges)
 * so their encoding and compression never hold up the server's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { runSealJob, type SealJob } from './sealer.js';

parentPort?.on('message', (message: { id: number; job: SealJob }) => {
  try {
    parentPort?.postMessage({ id: message.id, ok: true, result: runSealJob(message.job) });
  } catch (err) {
    parentPort?.postMessage({ id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
