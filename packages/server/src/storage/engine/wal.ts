/**
 * The write-ahead log: what the engine acknowledges is on disk before it is acknowledged. Records
 * are appended to segment files `wal/<id>.wal`, each framed as [u32 length][u32 CRC-32][body].
 * Appends that arrive while a write is under way wait for the next one and share its fdatasync
 * (group commit): one write and one sync per round, however many batches it carries.
 *
 * On open, the segments from the manifest's checkpoint on are read back in order; a record whose
 * length runs past the end of the file or whose checksum fails ends its segment (a torn write from
 * a crash): the segment is truncated there, so the record is never served and never replayed again.
 */
import { closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync, write } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from './bytes.js';

const HEADER = 8;
/** A record larger than this is corruption, not data (a batch is at most a few MB). */
const MAX_RECORD = 512 * 1024 * 1024;

function segmentName(id: number): string {
  return `${String(id).padStart(10, '0')}.wal`;
}

/** Segment ids present in `dir`, ascending. */
export function listSegments(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => /^(\d{10})\.wal$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** What reading a segment found. */
export interface SegmentRead {
  id: number;
  records: Buffer[];
  /** Bytes of the segment that held whole records; past them it was truncated. */
  goodBytes: number;
  /** Why the segment ended early, when it did. */
  torn: string | null;
}

/** Reads a segment's whole records, truncating a torn tail away. */
export function readSegment(dir: string, id: number): SegmentRead {
  const path = join(dir, segmentName(id));
  const data = readFileSync(path);
  const records: Buffer[] = [];
  let pos = 0;
  let torn: string | null = null;
  while (pos < data.length) {
    if (pos + HEADER > data.length) {
      torn = `a record header cut short at byte ${pos}`;
      break;
    }
    const length = data.readUInt32LE(pos);
    const crc = data.readUInt32LE(pos + 4);
    if (length > MAX_RECORD || pos + HEADER + length > data.length) {
      torn = `a record of ${length} bytes at byte ${pos} runs past the end (${data.length})`;
      break;
    }
    const body = data.subarray(pos + HEADER, pos + HEADER + length);
    if (crc32(body) !== crc) {
      torn = `the record at byte ${pos} fails its checksum`;
      break;
    }
    records.push(body);
    pos += HEADER + length;
  }
  if (torn !== null) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, pos);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return { id, records, goodBytes: pos, torn };
}

interface Waiter {
  frame: Buffer;
  /** Runs once the record is durable, before any later record's. */
  onDurable: () => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A switch to a new segment, queued between the appends it separates. */
interface Rotation {
  rotateTo: number;
  resolve: (id: number) => void;
  reject: (err: Error) => void;
}

/** The log's open segment and its group-committed appends. */
export class WriteAheadLog {
  private fd: number;
  private size: number;
  private queue: (Waiter | Rotation)[] = [];
  private writing = false;
  private closed = false;
  /** Bytes appended since open, all segments. */
  appendedBytes = 0;
  /** Bytes of appends waiting for their write and sync. */
  backlogBytes = 0;

  private constructor(
    private readonly dir: string,
    private segment: number,
  ) {
    const path = join(dir, segmentName(segment));
    this.fd = openSync(path, 'a');
    this.size = statSync(path).size;
  }

  /** Opens the log for appending to segment `id` (created when missing). */
  static open(dir: string, id: number): WriteAheadLog {
    mkdirSync(dir, { recursive: true });
    const wal = new WriteAheadLog(dir, id);
    syncDir(dir);
    return wal;
  }

  /** The segment appends go to. */
  get current(): number {
    return this.segment;
  }

  /** Bytes in the open segment. */
  get currentBytes(): number {
    return this.size;
  }

  /**
   * Appends a record; once it is durable, runs `onDurable` (in log order, before the next round
   * is written, so whatever it changes is in place before a rotation) and resolves.
   */
  append(body: Uint8Array, onDurable: () => void = () => undefined): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the write-ahead log is closed'));
    const frame = Buffer.allocUnsafe(HEADER + body.length);
    frame.writeUInt32LE(body.length, 0);
    frame.writeUInt32LE(crc32(body), 4);
    frame.set(body, HEADER);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, onDurable, resolve, reject });
      this.backlogBytes += frame.length;
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const head = this.queue[0] as Waiter | Rotation;
      if ('rotateTo' in head) {
        this.queue.shift();
        try {
          this.switchTo(head.rotateTo);
          head.resolve(head.rotateTo);
        } catch (err) {
          head.reject(err as Error);
        }
        continue;
      }
      // A round: the appends up to the next rotation, written and synced together.
      let end = 0;
      while (end < this.queue.length && !('rotateTo' in (this.queue[end] as Waiter | Rotation))) end++;
      const round = this.queue.splice(0, end) as Waiter[];
      const data = round.length === 1 ? (round[0] as Waiter).frame : Buffer.concat(round.map((w) => w.frame));
      this.backlogBytes -= data.length;
      try {
        await writeAll(this.fd, data);
        await new Promise<void>((resolve, reject) => fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
        this.size += data.length;
        this.appendedBytes += data.length;
      } catch (err) {
        // A failed write (a full disk) may have left part of the round behind: cut it off so the
        // segment holds only acknowledged records, then fail the round's appends.
        try {
          ftruncateSync(this.fd, this.size);
        } catch {
          // The next open truncates a torn tail anyway.
        }
        for (const w of round) w.reject(err as Error);
        continue;
      }
      for (const w of round) {
        try {
          w.onDurable();
          w.resolve();
        } catch (err) {
          w.reject(err as Error);
        }
      }
    }
    this.writing = false;
  }

  private switchTo(id: number): void {
    closeSync(this.fd);
    this.segment = id;
    const path = join(this.dir, segmentName(id));
    this.fd = openSync(path, 'a');
    this.size = statSync(path).size;
    syncDir(this.dir);
  }

  /** Resolves once every append made so far is durable (or failed). */
  async settle(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Starts segment `id`: appends made before this call are written (and applied) in the current
   * segment, later ones in the new one. It resolves, with `id`, once the earlier appends are
   * durable and the switch is made, without waiting for later appends: under steady ingest the
   * log is never idle, and a rotation that waited for a pause would hold the head's flush back.
   */
  rotate(id: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the write-ahead log is closed'));
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ rotateTo: id, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** Deletes the segments before `id` (their records are in blocks now). */
  removeBefore(id: number): void {
    for (const old of listSegments(this.dir)) if (old < id) unlinkSync(join(this.dir, segmentName(old)));
  }

  /** Bytes of every segment on disk. */
  diskBytes(): number {
    return listSegments(this.dir).reduce((sum, id) => sum + statSync(join(this.dir, segmentName(id))).size, 0);
  }

  async close(): Promise<void> {
    await this.settle();
    this.closed = true;
    closeSync(this.fd);
  }
}

function writeAll(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= data.length) return resolve();
      write(fd, data, done, data.length - done, null, (err, n) => (err ? reject(err) : step(done + n)));
    };
    step(0);
  });
}

/** Makes a directory's entries (a created or renamed file) durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
