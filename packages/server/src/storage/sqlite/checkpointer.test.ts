import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { openSqlite } from './open.js';
import { INLINE_CHECKPOINT_PAGES, startCheckpointer } from './checkpointer.js';

const MiB = 1024 * 1024;

function tempDb(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-checkpoint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'test.db');
  const db = openSqlite(path);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
  return { db, path };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (check()) return;
    await sleep(25);
  }
  assert.fail(`gave up waiting for ${what}`);
}

test('the log stays small while the server connection never checkpoints: the thread does', async (t) => {
  const { db, path } = tempDb(t);
  const errors: string[] = [];
  const checkpointer = startCheckpointer(db, path, { walLimitBytes: MiB, intervalMs: 20, onError: (m) => errors.push(m) });
  t.after(() => db.close());
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the connection itself no longer checkpoints');
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  // 24 MiB in transactions of 512 KiB: with no checkpoint at all the log would hold all of it.
  for (let i = 0; i < 48; i += 1) {
    db.transaction(() => {
      for (let j = 0; j < 8; j += 1) insert.run(Buffer.alloc(64 * 1024, i));
    })();
    await sleep(30);
  }
  await until(() => checkpointer.checkpoints > 0, 'a checkpoint');
  assert.ok(statSync(`${path}-wal`).size < 8 * MiB, `log at ${statSync(`${path}-wal`).size} bytes after 24 MiB written`);
  assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 384);
  assert.equal(checkpointer.offThread, true);
  assert.deepEqual(errors, []);
  await checkpointer.close();
});

test('after a burst the log file is emptied once it is all checkpointed, with no write after it', async (t) => {
  const { db, path } = tempDb(t);
  const checkpointer = startCheckpointer(db, path, { walLimitBytes: MiB, intervalMs: 20 });
  t.after(() => db.close());
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  // One transaction of 8 MiB: the log grows past it, and no later write starts it over.
  db.transaction(() => {
    for (let j = 0; j < 128; j += 1) insert.run(Buffer.alloc(64 * 1024, j));
  })();
  assert.ok(statSync(`${path}-wal`).size > 8 * MiB);
  await until(() => checkpointer.truncations > 0, 'the log file emptied');
  assert.equal(statSync(`${path}-wal`).size, 0);
  assert.equal(checkpointer.truncations, 1);
  assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 128);
  // The server's connection goes on writing to a log it starts over.
  insert.run(Buffer.alloc(16, 1));
  assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 129);
  await checkpointer.close();
});

test('the log file is not emptied while writes keep coming (only once it has not changed between two looks of the timer)', async (t) => {
  const { db, path } = tempDb(t);
  const checkpointer = startCheckpointer(db, path, { walLimitBytes: MiB, intervalMs: 20 });
  t.after(() => db.close());
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  // A write every 4 ms, on a timer as the timer that looks at the log: between two of its looks
  // (20 ms) there is always one, so the thread is asked to checkpoint (the log passes 1 MiB every
  // 16 writes) but never to empty the file, which would take SQLite's write lock from the writes.
  // Without the check, a checkpoint that copied every frame between two writes empties it.
  let writes = 0;
  const end = Date.now() + 1000;
  while (Date.now() < end) {
    insert.run(Buffer.alloc(64 * 1024, writes % 256));
    writes += 1;
    await sleep(4);
  }
  assert.ok(checkpointer.checkpoints > 0, 'the thread checkpointed meanwhile');
  assert.equal(checkpointer.truncations, 0, 'the log file was emptied during the writes');
  // Once they stop, the log is left at most at the size that calls for a checkpoint (emptied when
  // it was past it: the test above), and every row is there.
  await until(() => statSync(`${path}-wal`).size <= MiB, 'the log file at most 1 MiB');
  assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, writes);
  await checkpointer.close();
});

test('a checkpoint thread that cannot work hands checkpoints back to the connection and says why', async (t) => {
  const { db } = tempDb(t);
  t.after(() => db.close());
  const errors: string[] = [];
  // A file the thread cannot open: it fails at start.
  const missing = join(tmpdir(), 'agentmon-no-such-dir', 'missing.db');
  const checkpointer = startCheckpointer(db, missing, { walLimitBytes: -1, intervalMs: 20, onError: (m) => errors.push(m) });
  await until(() => errors.length > 0, 'the failure report');
  assert.match(errors[0] as string, /SQLite checkpoints moved back to the server's thread/);
  assert.equal(checkpointer.offThread, false);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), INLINE_CHECKPOINT_PAGES);
  await checkpointer.close();
});
