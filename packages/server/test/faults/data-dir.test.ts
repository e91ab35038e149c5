/**
 * The embedded stores' data dir going bad under a running server, and a server asked to start on
 * one it cannot write: deleted (SQLite and the series engine would write on into the unlinked
 * files and lose it all on restart), read-only, and full. Read-only and full are real: a tmpfs
 * mounted for the test (tests may run as root, for whom chmod blocks nothing), skipped where
 * mounting is not allowed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { buildApp, DEFAULT_CONFIG, openStores, type App, type Stores } from '../../src/index.js';
import { ADMIN, agentBody, bearer, metricsBody } from '../harness.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');

/** Whether this process may mount a tmpfs (root, and the kernel lets it). */
function canMount(): boolean {
  if (userInfo().uid !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const mountSkip = canMount() ? false : 'mounting a tmpfs needs root and a kernel that allows it';

/**
 * A tmpfs of `size` at a new folder; `remount` changes its options; `readOnlyOver` lays a read-only
 * bind mount over it (what a path sees turns read-only even while files are open for writing,
 * which a plain remount refuses) and returns its undo; `unmount` removes it.
 */
function tmpfs(size: string): { dir: string; remount(options: string): void; readOnlyOver(): () => void; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return {
    dir,
    remount: (options) => execFileSync('mount', ['-o', `remount,${options}`, dir]),
    readOnlyOver() {
      execFileSync('mount', ['--bind', dir, dir]);
      execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
      return () => execFileSync('umount', [dir]);
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An app on the embedded stores in `dataDir`, as `agentmon serve` builds it. */
async function embedded(dataDir: string): Promise<{ app: App; stores: Stores; close(): Promise<void> }> {
  const stores = await openStores({ dataDir, databaseUrl: null });
  const app = await buildApp({ ...DEFAULT_CONFIG, dataDir, logLevel: 'silent' }, {
    metadata: stores.metadata,
    series: stores.series,
    adminToken: ADMIN,
    storageKind: stores.kind,
    dataDir: stores.dataDir,
    logger: false,
  });
  await app.ready();
  return {
    app,
    stores,
    async close() {
      await app.close();
      await stores.close().catch(() => undefined);
    },
  };
}

async function registerOn(app: App, name: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(ADMIN), payload: agentBody({ name }) });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { agent_id: string }).agent_id;
}

const readiness = async (app: App) => {
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  return { status: res.statusCode, body: res.json() as { status: string; data_dir?: string } };
};

describe('data dir faults', () => {
  it('a deleted data dir: /readyz 503 naming it, and writes refused with 503 STORE_UNAVAILABLE + Retry-After', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-deleted-'));
    const s = await embedded(dataDir);
    try {
      const id = await registerOn(s.app, 'before-delete');
      assert.deepEqual(await readiness(s.app), { status: 200, body: { status: 'ready', stores: { metadata: 'ok', series: 'ok' }, data_dir: 'ok' } });

      rmSync(dataDir, { recursive: true, force: true });
      const ready = await readiness(s.app);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'unavailable');
      assert.match(ready.body.data_dir ?? '', /^error: .*agentmon-deleted-.* is gone/);

      // A payload written now would be acknowledged into deleted files: refused instead.
      const res = await s.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id) });
      assert.equal(res.statusCode, 503, res.body);
      assert.ok(Number(res.headers['retry-after']) > 0);
      const body = res.json() as { error: string; message: string; details: unknown[] };
      assert.equal(body.error, 'STORE_UNAVAILABLE');
      assert.match(body.message, /a store is unavailable: .* is gone/);
      assert.deepEqual(body.details, []);
      // Reads still answer.
      assert.equal((await s.app.inject({ method: 'GET', url: `/api/v1/agents/${id}`, headers: bearer(ADMIN) })).statusCode, 200);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a data dir it cannot write, saying why, with exit code 2', { skip: mountSkip }, () => {
    const fs = tmpfs('4m');
    try {
      // A data dir agentmon used before, then mounted read-only.
      mkdirSync(join(fs.dir, 'data'));
      fs.remount('ro');
      const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'packages', 'cli', 'src', 'bin.ts'), 'serve', '--port', '0', '--data-dir', join(fs.dir, 'data')], {
        cwd: root,
        env: { ...process.env, AGENTMON_ADMIN_TOKEN: ADMIN, AGENTMON_DATABASE_URL: '', AGENTMON_INFLUX_URL: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /the data dir .*\/data cannot be written: it is on a read-only file system \(EROFS\)/);
    } finally {
      fs.unmount();
    }
  });

  it('a data dir that turned read-only under a running server: /readyz 503', { skip: mountSkip }, async () => {
    const fs = tmpfs('16m');
    let s: Awaited<ReturnType<typeof embedded>> | null = null;
    try {
      s = await embedded(fs.dir);
      await registerOn(s.app, 'before-ro');
      assert.equal((await readiness(s.app)).status, 200);
      const undo = fs.readOnlyOver();
      const ready = await readiness(s.app);
      assert.equal(ready.status, 503);
      assert.match(ready.body.data_dir ?? '', /read-only file system/);
      undo();
      assert.equal((await readiness(s.app)).status, 200, 'ready again once it takes writes');
    } finally {
      await s?.close();
      fs.unmount();
    }
  });

  it('a full disk: ingest answers 507 STORAGE_FULL with Retry-After, /readyz 503, and every acknowledged payload is there after a restart', { skip: mountSkip, timeout: 120_000 }, async () => {
    const fs = tmpfs('16m');
    let s: Awaited<ReturnType<typeof embedded>> | null = null;
    try {
      s = await embedded(fs.dir);
      const id = await registerOn(s.app, 'full-disk');
      const base = Date.now() - 3_600_000;
      let n = 0;
      const acked: string[] = [];
      const post = async () => {
        const ts = new Date(base + n++ * 1000).toISOString();
        const res = await (s as Awaited<ReturnType<typeof embedded>>).app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id, { timestamp: ts }) });
        if (res.statusCode === 202) acked.push(ts);
        return res;
      };
      for (let i = 0; i < 20; i++) assert.equal((await post()).statusCode, 202);

      // Fill the disk to the last byte.
      const filler = join(fs.dir, 'filler');
      const fd = openSync(filler, 'w');
      try {
        const chunk = Buffer.alloc(64 * 1024, 1);
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        closeSync(fd);
      }
      let refused = null;
      for (let i = 0; i < 200 && !refused; i++) {
        const res = await post();
        if (res.statusCode !== 202) refused = res;
      }
      assert.ok(refused, 'a payload was refused once the disk was full');
      assert.equal(refused.statusCode, 507, refused.body);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      const body = refused.json() as { error: string; message: string; details: unknown[] };
      assert.equal(body.error, 'STORAGE_FULL');
      assert.match(body.message, /disk is full.*nothing of this request was acknowledged/);
      assert.deepEqual(body.details, []);
      const ready = await readiness(s.app);
      assert.equal(ready.status, 503);
      assert.match(ready.body.data_dir ?? '', /disk is full/);

      // Room again: payloads are taken again, and after a restart every acknowledged one is there.
      rmSync(filler);
      let again = false;
      for (let i = 0; i < 200 && !again; i++) again = (await post()).statusCode === 202;
      assert.ok(again, 'payloads are taken again once there is room');
      assert.equal((await readiness(s.app)).status, 200);
      await s.close();
      s = await embedded(fs.dir);
      const res = await s.app.inject({
        method: 'GET',
        url: `/api/v1/metrics/query?agent_ids=${id}&metric_names=cpu_usage_percent&start_time=${new Date(base - 1000).toISOString()}&end_time=${new Date().toISOString()}`,
        headers: bearer(ADMIN),
      });
      assert.equal(res.statusCode, 200, res.body);
      const stored = new Set((res.json() as { data: { timestamp: string }[] }).data.map((d) => d.timestamp));
      assert.deepEqual(acked.filter((ts) => !stored.has(ts)), [], 'acknowledged payloads missing after the restart');
    } finally {
      await s?.close();
      fs.unmount();
    }
  });
});
