/**
 * The series engine beyond the SeriesStore contract: durability (a writer killed with SIGKILL
 * mid-ingest loses no acknowledged batch and leaves no half batch; a torn log tail is dropped),
 * the data directory's lock, reopening, `extra` kept exactly through blocks, retention dropping
 * whole blocks, and the head's columns in slabs of their own (rows.ts).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SeriesPoint } from '../../src/storage/ports.js';
import { SeriesEngine } from '../../src/storage/engine/engine.js';
import type { AgentRows } from '../../src/storage/engine/rows.js';
import { listSegments, readSegment, WriteAheadLog } from '../../src/storage/engine/wal.js';

const BATCH = 50;
const T0 = Date.UTC(2024, 0, 1);
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-engine-'));
  dirs.push(dir);
  return dir;
}

/** Starts the writer process; resolves with it once it says ready, and collects its acks. */
async function startWriter(dir: string, firstBatch = 0): Promise<{ child: ChildProcess; acked: number[]; exited: Promise<void>; alive: () => boolean; stderr: () => string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(import.meta.dirname, 'engine', 'writer.ts'), dir, String(firstBatch)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  let running = true;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      running = false;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (c: Buffer) => {
      buffered += c.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') resolve();
        const m = /^ack (\d+)$/.exec(line);
        if (m) acked.push(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`writer exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, acked, exited, alive: () => running, stderr: () => stderr };
}

/** Batch number -> payloads of it found (every payload of batch n has cpu n). */
async function batchesIn(engine: SeriesEngine): Promise<Map<number, number>> {
  const rows = await engine.query({ agentIds: null, startMs: T0 - 86_400_000, endMs: T0 + 86_400_000, metrics: ['cpu_usage_percent'], aggregation: null, intervalMs: null, groupBy: 'agent' });
  const found = new Map<number, number>();
  for (const row of rows) {
    const n = row.values.cpu_usage_percent as number;
    found.set(n, (found.get(n) ?? 0) + 1);
  }
  return found;
}

describe('series engine: durability', () => {
  it('keeps every acknowledged batch whole after SIGKILL mid-ingest, flush and merge, and drops a torn log tail', async () => {
    const dir = tempDir();
    for (let round = 0; round < 3; round++) {
      const { child, acked, exited, alive, stderr } = await startWriter(dir, round * 100_000);
      // Let it write (and flush and merge) for a while, then kill it without warning.
      const target = 30 + round * 40;
      while (acked.length < target) {
        assert.ok(alive(), `the writer died on its own: ${stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      child.kill('SIGKILL');
      await exited;
      if (round === 1) {
        // A write the crash cut short: half a record at the end of the newest segment.
        const segments = listSegments(join(dir, 'wal'));
        appendFileSync(join(dir, 'wal', `${String(segments.at(-1)).padStart(10, '0')}.wal`), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));
      }
      const warnings: string[] = [];
      const engine = new SeriesEngine({ dir, background: false, log: (level, message) => warnings.push(`${level} ${message}`) });
      try {
        const found = await batchesIn(engine);
        for (const n of acked) assert.equal(found.get(n), BATCH, `round ${round}: acknowledged batch ${n} has ${found.get(n) ?? 0} of ${BATCH} payloads`);
        for (const [n, count] of found) assert.equal(count, BATCH, `round ${round}: batch ${n} is half there (${count})`);
        if (round === 1) assert.ok(warnings.some((w) => /truncated/.test(w)), `the torn tail is reported: ${warnings.join('; ')}`);
        // The extra of a payload comes back exactly, wherever it was (head, block, merged block).
        const some = (await engine.payloads('w3', T0 - 86_400_000, T0 + 86_400_000)).filter((p) => acked.includes(p.values.cpu_usage_percent as number));
        assert.ok(some.length > 0);
        for (const p of some) assert.deepEqual(p.extra, { custom_metrics: { batch: p.custom.batch, note: `batch ${p.custom.batch}` }, health_checks: { ok: true }, alerts: [] });
      } finally {
        await engine.close();
      }
    }
  });

  it('refuses a data directory another live process holds', async () => {
    const dir = tempDir();
    const { child, exited } = await startWriter(dir);
    try {
      const engine = new SeriesEngine({ dir, background: false });
      await assert.rejects(engine.migrate(), /in use by another agentmon process \(pid \d+\)/);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // Once it is gone, the directory opens.
    const engine = new SeriesEngine({ dir, background: false });
    await engine.migrate();
    await engine.close();
  });
});

describe('series engine: write-ahead log', () => {
  it('truncates a segment at a torn or corrupt record and keeps the whole ones before it', async () => {
    const dir = join(tempDir(), 'wal');
    const wal = WriteAheadLog.open(dir, 1);
    const applied: number[] = [];
    for (let i = 0; i < 5; i++) await wal.append(Buffer.from(`record ${i}`), () => applied.push(i));
    assert.deepEqual(applied, [0, 1, 2, 3, 4], 'applied in log order once durable');
    await wal.close();
    const path = join(dir, '0000000001.wal');
    appendFileSync(path, Buffer.from([50, 0, 0, 0, 9, 9, 9, 9, 1]));
    let read = readSegment(dir, 1);
    assert.deepEqual(read.records.map((r) => r.toString()), ['record 0', 'record 1', 'record 2', 'record 3', 'record 4']);
    assert.match(read.torn ?? '', /runs past the end/);
    // Truncated: read again, the file ends cleanly.
    assert.equal(readSegment(dir, 1).torn, null);
    // A flipped byte inside the third record: it and everything after it go.
    const bytes = readSegment(dir, 1).goodBytes;
    assert.ok(bytes > 0);
    const data = readFileSync(path);
    // Records are 16 bytes here (8 of header, 8 of body): a byte of the third record's body.
    data[2 * 16 + 8 + 3] = (data[2 * 16 + 8 + 3] as number) ^ 0xff;
    writeFileSync(path, data);
    read = readSegment(dir, 1);
    assert.equal(read.records.length, 2);
    assert.match(read.torn ?? '', /checksum/);
  });
});

describe('series engine: log rotation under steady appends', () => {
  it('rotates between the appends made before and after it, without waiting for appends to stop', async () => {
    const dir = join(tempDir(), 'wal');
    const wal = WriteAheadLog.open(dir, 1);
    const applied: number[] = [];
    const appends: Promise<void>[] = [];
    let appliedAtRotation: number[] = [];
    for (let i = 0; i < 10; i++) appends.push(wal.append(Buffer.from(`r${i}`), () => applied.push(i)));
    const rotated = wal.rotate(2).then((id) => {
      appliedAtRotation = [...applied];
      return id;
    });
    // Appends keep coming while the rotation waits: it must not wait for them.
    for (let i = 10; i < 40; i++) appends.push(wal.append(Buffer.from(`r${i}`), () => applied.push(i)));
    assert.equal(await rotated, 2);
    assert.deepEqual(appliedAtRotation, [...Array(10).keys()], 'every earlier append applied, no later one');
    await Promise.all(appends);
    await wal.close();
    assert.deepEqual(readSegment(dir, 1).records.map(String), [...Array(10).keys()].map((i) => `r${i}`));
    assert.deepEqual(readSegment(dir, 2).records.map(String), [...Array(30).keys()].map((i) => `r${i + 10}`));
  });
});

function point(agent: string, ts: number, cpu: number, extra?: SeriesPoint['extra']): SeriesPoint {
  return {
    agent_id: agent,
    ts,
    environment: 'prod',
    deployment_type: 'k8s',
    values: { cpu_usage_percent: cpu, health_score: 0.5 },
    custom: { q: cpu * 2 },
    extra: extra ?? { custom_metrics: { q: cpu * 2, label: 'x' }, health_checks: { db: true }, alerts: [] },
  };
}

describe('series engine: blocks', () => {
  it('keeps answers and extras the same in the head, in blocks, merged, and after a reopen', async () => {
    const dir = tempDir();
    const weird: SeriesPoint['extra'] = { custom_metrics: { q: 6, nested: { deep: [1, 2, { x: '#' }] }, 'dotted.key': -0, s: 'a"b' }, health_checks: { 'x#y': false }, alerts: ['disk "full"', '#'] };
    const points = [
      ...Array.from({ length: 300 }, (_, i) => point(`a${i % 3}`, T0 + i * 7_000, (i % 50) + 0.25)),
      point('a1', T0 + 5_000, 3, weird),
      point('a1', T0 + 5_000, 4),
    ];
    const q = { agentIds: null, startMs: T0, endMs: T0 + 3_600_000, metrics: ['cpu_usage_percent', 'custom.q', 'health_score'], aggregation: null, intervalMs: null, groupBy: 'agent' as const };
    const aggregated = { ...q, aggregation: 'avg' as const, intervalMs: 300_000 };
    let engine = new SeriesEngine({ dir, background: false });
    await engine.migrate();
    await engine.insert(points.slice(0, 150));
    await engine.insert(points.slice(150));
    const inHead = { raw: await engine.query(q), agg: await engine.query(aggregated), payloads: await engine.payloads('a1', T0, T0 + 3_600_000) };
    assert.equal(engine.describe().blocks, 0);
    await engine.maintain(true);
    assert.ok(engine.describe().blocks > 0 && engine.describe().headRows === 0);
    assert.deepEqual(await engine.query(q), inHead.raw);
    assert.deepEqual(await engine.query(aggregated), inHead.agg);
    assert.deepEqual(await engine.payloads('a1', T0, T0 + 3_600_000), inHead.payloads);
    const weirdBack = inHead.payloads.find((p) => p.extra.alerts.length > 0);
    assert.deepEqual(weirdBack?.extra, JSON.parse(JSON.stringify(weird)));
    // More data, then a merge of the two blocks, then a reopen.
    await engine.insert([point('a2', T0 + 2_000_000, 99)]);
    await engine.maintain(true);
    await engine.close();
    engine = new SeriesEngine({ dir, background: false });
    const reopened = await engine.query(q);
    assert.equal(reopened.length, inHead.raw.length + 1);
    assert.deepEqual(reopened.filter((r) => !(r.agent_id === 'a2' && r.ts === T0 + 2_000_000)), inHead.raw);
    assert.equal((await engine.stats()).points, points.length + 1);
    await engine.close();
  });

  it("keeps a head's columns in a few shared slabs, and the next head's in slabs of its own", async () => {
    const engine = new SeriesEngine({ dir: tempDir(), background: false });
    await engine.migrate();
    // The engine's head, read as the flush reads it (private: what is checked is where its memory is).
    const headBuffers = () => {
      const head = (engine as unknown as { head: Map<string, AgentRows> }).head;
      const buffers = new Set<ArrayBufferLike>();
      let columns = 0;
      for (const rows of head.values()) {
        buffers.add(rows.ts.buffer);
        for (const col of rows.cols.values()) buffers.add(col.buffer);
        columns += 1 + rows.cols.size;
      }
      return { buffers, columns };
    };
    const batch = (t: number) => Array.from({ length: 200 }, (_, i) => point(`s${i}`, t, i));
    await engine.insert(batch(T0));
    await engine.insert(batch(T0 + 10_000));
    const first = headBuffers();
    // 200 agents x 4 columns (time, cpu, health, custom.q) of 8 rows: one slab, not 800 allocations.
    assert.equal(first.columns, 800);
    assert.equal(first.buffers.size, 1);
    await engine.flush();
    await engine.insert(batch(T0 + 20_000));
    const second = headBuffers();
    assert.equal(second.buffers.size, 1);
    assert.ok(![...second.buffers].some((b) => first.buffers.has(b)), 'the next head shares no slab with the flushed one');
    assert.equal((await engine.stats()).points, 600);
    await engine.close();
  });

  it('tells its background backlog: payloads in the head, blocks, and fresh blocks waiting for a merge', async () => {
    const engine = new SeriesEngine({ dir: tempDir(), background: false });
    await engine.migrate();
    await engine.insert(Array.from({ length: 30 }, (_, i) => point(`b${i % 3}`, T0 + i * 10_000, i)));
    assert.deepEqual(engine.backlog(), { headPayloads: 30, blocks: 0, unmergedBlocks: 0 });
    await engine.flush();
    await engine.insert([point('b0', T0 + 400_000, 1)]);
    await engine.flush();
    assert.deepEqual(engine.backlog(), { headPayloads: 0, blocks: 2, unmergedBlocks: 2 }, 'two head flushes, not merged yet');
    await engine.maintain(true);
    assert.deepEqual(engine.backlog(), { headPayloads: 0, blocks: 1, unmergedBlocks: 0 }, 'merged into one block with tiers');
    await engine.close();
  });

  it('drops whole blocks once retention has passed them, and keeps the rest answering', async () => {
    const dir = tempDir();
    const DAY = 86_400_000;
    const engine = new SeriesEngine({ dir, background: false });
    await engine.migrate();
    for (let day = 0; day < 3; day++) {
      await engine.insert(Array.from({ length: 48 }, (_, i) => point(`r${i % 2}`, T0 + day * DAY + i * 1_800_000, day)));
      await engine.maintain(true);
    }
    const blocks = () => readdirSync(join(dir, 'blocks')).filter((f) => f.endsWith('.blk')).length;
    assert.equal(blocks(), 3, 'one block per day partition');
    for (const agent of ['r0', 'r1']) assert.equal(await engine.deleteOlderThan(agent, T0 + 2 * DAY, 10_000), 48);
    assert.equal(blocks(), 1, 'the two days retention passed are gone as files');
    const left = await engine.query({ agentIds: null, startMs: 0, endMs: T0 + 10 * DAY, metrics: ['cpu_usage_percent'], aggregation: 'count', intervalMs: DAY, groupBy: 'none' });
    assert.deepEqual(left, [{ agent_id: null, ts: T0 + 2 * DAY, values: { cpu_usage_percent: 48 } }]);
    assert.equal(await engine.deleteAgent('r0'), 24);
    assert.equal(blocks(), 1);
    assert.equal(await engine.deleteAgent('r1'), 24);
    assert.equal(blocks(), 0, 'a block whose every agent is purged is deleted');
    assert.deepEqual(await engine.agentIds(), []);
    await engine.close();
  });

  it('keeps purges and retention cuts across a crash (they are log records)', async () => {
    const dir = tempDir();
    let engine = new SeriesEngine({ dir, background: false });
    await engine.migrate();
    await engine.insert(Array.from({ length: 20 }, (_, i) => point(`p${i % 2}`, T0 + i * 60_000, i)));
    await engine.maintain(true);
    await engine.insert(Array.from({ length: 20 }, (_, i) => point(`p${i % 2}`, T0 + (20 + i) * 60_000, 20 + i)));
    assert.equal(await engine.deleteAgent('p0'), 20);
    assert.equal(await engine.deleteOlderThan('p1', T0 + 30 * 60_000, 1000), 15);
    await engine.insert([point('p0', T0 + 50 * 60_000, 50)]);
    // No close: the process "dies" here; a new engine (same pid, so the lock lets it in) replays.
    engine = new SeriesEngine({ dir: dir, background: false });
    const counts = await engine.query({ agentIds: null, startMs: 0, endMs: T0 + 86_400_000, metrics: ['cpu_usage_percent'], aggregation: 'count', intervalMs: null, groupBy: 'agent' });
    assert.deepEqual(counts.map((r) => [r.agent_id, r.values.cpu_usage_percent]), [['p0', 1], ['p1', 5]]);
    await engine.close();
  });
});
