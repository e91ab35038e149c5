import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirWatch } from './data-dir.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A data dir holding what the stores open: agentmon.db and series/. */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-watch-'));
  writeFileSync(join(dir, 'agentmon.db'), 'x');
  mkdirSync(join(dir, 'series'));
  return dir;
}

describe('DataDirWatch', () => {
  it('looks at the disk once per turn of the event loop, and sees a deletion on the next turn', async () => {
    const dir = dataDir();
    try {
      const watch = new DataDirWatch(dir, ['agentmon.db', 'series']);
      for (let i = 0; i < 5; i++) watch.assertPresent();
      assert.equal(watch.checks, 1, 'five requests of one turn: one look');
      await nextTurn();
      watch.assertPresent();
      assert.equal(watch.checks, 2);

      await nextTurn();
      unlinkSync(join(dir, 'agentmon.db'));
      assert.throws(() => watch.assertPresent(), /agentmon\.db is gone \(deleted while the server runs\)/);
      // A failed look is not remembered: every later request looks again, and is refused again.
      assert.throws(() => watch.assertPresent(), /agentmon\.db is gone/);
      assert.equal(watch.checks, 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sees a file replaced by another of the same name, and the whole dir deleted', async () => {
    const dir = dataDir();
    try {
      const watch = new DataDirWatch(dir, ['agentmon.db', 'series']);
      watch.assertPresent();
      await nextTurn();
      // Moved aside and made again (a deleted inode's number may be reused at once).
      renameSync(join(dir, 'series'), join(dir, 'series.old'));
      mkdirSync(join(dir, 'series'));
      assert.throws(() => watch.assertPresent(), /series was replaced while the server runs/);
      await nextTurn();
      rmSync(dir, { recursive: true, force: true });
      assert.throws(() => watch.assertPresent(), /agentmon-watch-\w+ is gone/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('readiness (assertWritable) always looks, even after a passing look in the same turn', () => {
    const dir = dataDir();
    try {
      const watch = new DataDirWatch(dir, ['agentmon.db', 'series']);
      watch.assertPresent();
      rmSync(join(dir, 'agentmon.db'));
      assert.throws(() => watch.assertWritable(), /agentmon\.db is gone/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
