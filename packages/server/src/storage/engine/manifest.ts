/**
 * The manifest: the one file that says what the engine's data is. It names the live blocks (a block
 * file not named here is a leftover of a crash and is deleted on open), the first write-ahead-log
 * segment still to replay, the agents hidden in each block (purged) and each agent's retention cut,
 * and the migrations applied. It is replaced atomically: written to a temporary file, fsynced,
 * renamed over the old one, and the directory fsynced.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { syncDir } from './wal.js';

/** A live block as the manifest names it. */
export interface BlockEntry {
  id: number;
  /** The UTC day (ms of its midnight) every row of the block falls in. */
  partition: number;
  /** Compaction level: 0 for a head flush, one more per merge round. */
  level: number;
  /**
   * The flush sequence numbers the block covers (a flush's own id; a merge the span of its inputs):
   * blocks of a partition in this order are in arrival order, which keeps payloads sharing a
   * timestamp in the order they came.
   */
  seq: [number, number];
  /** Agents purged after the block was written: their rows in it are gone. */
  purged: string[];
  /** Whether the block carries rollup tiers (false for blocks written before migration 2 ran). */
  tiers: boolean;
}

/** The manifest's content. */
export interface Manifest {
  version: 1;
  /** Migrations applied (1: layout, 2: rollup tiers). */
  migrations: number[];
  /** Next id for a block or a log segment. */
  nextId: number;
  /** First log segment whose records are not yet in blocks. */
  walFrom: number;
  blocks: BlockEntry[];
  /** Per agent, the retention cut: its payloads older than this (ms) are gone. */
  cuts: Record<string, number>;
  /** Import of an earlier series store (SQLite rows): agents done, and whether it finished. */
  imported: { done: boolean; agents: string[] } | null;
}

const NAME = 'MANIFEST';

/** A new data directory's manifest. */
export function emptyManifest(): Manifest {
  return { version: 1, migrations: [], nextId: 1, walFrom: 1, blocks: [], cuts: {}, imported: null };
}

/** Reads the manifest of `dir`, or null when there is none yet. */
export function readManifest(dir: string): Manifest | null {
  const path = join(dir, NAME);
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (parsed.version !== 1) throw new Error(`${path}: manifest version ${String(parsed.version)} is not one this agentmon reads`);
  return parsed;
}

/** Replaces the manifest of `dir` atomically. */
export function writeManifest(dir: string, manifest: Manifest): void {
  const tmp = join(dir, `${NAME}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const data = Buffer.from(JSON.stringify(manifest), 'utf8');
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, NAME));
  syncDir(dir);
}
