/**
 * A storage worker's young generation is WORKER_SEMI_SPACE_MB per semi-space whatever the process
 * was started with, and the server's own heap keeps the size it was made with.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { startWorker, WORKER_SEMI_SPACE_MB } from './worker-thread.js';

const MiB = 1024 * 1024;

/** Allocates about 200 MiB of short-lived objects, some kept across collections, and returns the young generation's size. */
function churn(): number {
  let keep: { a: number }[] = [];
  for (let i = 0; i < 4_000_000; i++) {
    keep.push({ a: i });
    if (keep.length > 200_000) keep = [];
  }
  return (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / MiB;
}

describe('storage worker heaps', () => {
  it('gives a worker a small young generation and leaves the main one as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-worker-'));
    try {
      writeFileSync(
        join(dir, 'probe.js'),
        `import { parentPort } from 'node:worker_threads';
         import { getHeapSpaceStatistics } from 'node:v8';
         let keep = [];
         for (let i = 0; i < 4000000; i++) { keep.push({ a: i }); if (keep.length > 200000) keep = []; }
         parentPort.postMessage(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`,
      );
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const worker = startWorker(pathToFileURL(join(dir, 'here.js')).href, 'probe');
      const young = await new Promise<number>((resolve, reject) => {
        worker.once('message', (bytes: number) => resolve(bytes / MiB));
        worker.once('error', reject);
      });
      await worker.terminate();
      // Both semi-spaces at most (V8 may keep a page or two more between them).
      assert.ok(young <= 2 * WORKER_SEMI_SPACE_MB + 1, `the worker's young generation is ${young} MiB`);
      // The main heap was made before the flag changed: its young generation still grows past the worker's.
      const main = churn();
      assert.ok(main > 2 * WORKER_SEMI_SPACE_MB + 1, `the main young generation is ${main} MiB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
