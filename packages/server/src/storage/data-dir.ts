/**
 * The data dir as the embedded stores see it. A server must not start on one it cannot write, and
 * must notice when it goes away under it: SQLite and the series engine keep writing into files that
 * were deleted (the open handles live on), so every "acknowledged" payload would be gone on the next
 * start. Readiness and writes check it here.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The data dir cannot be used: gone, replaced, read-only or full. The message says which. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** Name of the small file written (and removed) to prove the dir takes writes. */
const PROBE = '.agentmon-write-probe';

/** Creates `dir` if needed and proves it takes a write (create, write, fsync, unlink); throws DataDirError. */
export function assertWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, PROBE);
    const fd = openSync(path, 'w', 0o600);
    try {
      writeSync(fd, 'agentmon\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EROFS' ? 'it is on a read-only file system'
      : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied'
      : e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'its disk is full'
      : e.code === 'ENOTDIR' || e.code === 'EEXIST' ? 'a file, not a folder, is in the way'
      : e.code === 'ENOENT' ? 'it does not exist'
      : e.message;
    throw new DataDirError(`the data dir ${dir} cannot be written: ${why} (${e.code ?? 'error'})`);
  }
}

/** Identity of a file: a file deleted and made again has another. */
interface Identity {
  dev: number;
  ino: number;
}

function identityOf(path: string): Identity | null {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

/** Watches the data dir and the files the stores opened in it. */
export class DataDirWatch {
  private readonly known = new Map<string, Identity>();

  /** `entries`: names inside `dir` the stores hold open (those present now are watched). */
  constructor(
    readonly dir: string,
    entries: readonly string[],
  ) {
    for (const path of [dir, ...entries.map((e) => join(dir, e))]) {
      const id = identityOf(path);
      if (id) this.known.set(path, id);
    }
  }

  /** True from a check that passed until the event loop turns (see assertPresent). */
  private checkedThisTurn = false;
  private readonly endTurn = () => {
    this.checkedThisTurn = false;
  };
  /** How many times assertPresent looked at the disk (for tests). */
  checks = 0;

  /**
   * Throws DataDirError when the dir or a file the stores opened is gone or replaced. One stat per
   * watched path, at most once per turn of the event loop: the requests of one turn run back to
   * back with nothing between them that could observe a change, so a later check in the same turn
   * can only repeat the first one's verdict. Under 32 single payloads in flight the stats were 8 %
   * of the server's main thread, per request.
   */
  assertPresent(): void {
    if (this.checkedThisTurn) return;
    this.checkPaths();
    this.checkedThisTurn = true;
    setImmediate(this.endTurn);
  }

  private checkPaths(): void {
    this.checks++;
    for (const [path, id] of this.known) {
      const now = identityOf(path);
      if (!now) throw new DataDirError(`${path} is gone (deleted while the server runs); writes would be lost on restart: restore it, or restart the server`);
      if (now.dev !== id.dev || now.ino !== id.ino) {
        throw new DataDirError(`${path} was replaced while the server runs (the stores write to the old one); restart the server`);
      }
    }
  }

  /** The paths looked at now (never a verdict of this turn), then a probe write: throws DataDirError when the dir is gone, read-only or full. */
  assertWritable(): void {
    this.checkPaths();
    assertWritableDir(this.dir);
  }
}

/** Error codes of a disk that has no room left. */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** Error codes of a data dir that stopped taking writes (read-only, gone, failing). */
const UNWRITABLE_CODES = /^(EROFS|EIO|SQLITE_READONLY\w*|SQLITE_IOERR\w*|SQLITE_CANTOPEN)$/;

/**
 * What a store's failure says about its disk: `full`, `unwritable`, or null (something else).
 * Looks through `cause`, as the series engine may wrap what the file system said.
 */
export function diskFault(err: unknown): 'full' | 'unwritable' | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DataDirError) return 'unwritable';
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (FULL_CODES.has(code)) return 'full';
    if (UNWRITABLE_CODES.test(code)) return 'unwritable';
  }
  return null;
}
