/** Time-ordered ids (UUID version 7), so records made in one millisecond still sort in creation order. */
import { randomFillSync } from 'node:crypto';

/**
 * Random bytes handed out from one block that is refilled in a single call when used up: asking the
 * system for 16 bytes per id costs far more than the id itself. Every byte is handed out once.
 */
export class RandomPool {
  private readonly block: Uint8Array;
  private next: number;

  /** A pool of `size` bytes; `fill` refills the block (the system's CSPRNG unless a test gives one). */
  constructor(
    size = 16_384,
    private readonly fill: (block: Uint8Array) => void = (block) => void randomFillSync(block),
  ) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`pool size must be a positive integer: ${size}`);
    this.block = new Uint8Array(size);
    // Empty until the first take: a server that never makes an id never reads randomness.
    this.next = size;
  }

  /** The block the offsets of `take` point into. */
  get bytes(): Uint8Array {
    return this.block;
  }

  /** Offset in `bytes` of `n` bytes nobody was given before; they stay valid until the next take. */
  take(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > this.block.length) throw new RangeError(`cannot take ${n} bytes from a pool of ${this.block.length}`);
    if (this.next + n > this.block.length) {
      // The tail too short for `n` is dropped, never reused: each refill starts a fresh block.
      this.fill(this.block);
      this.next = 0;
    }
    const at = this.next;
    this.next += n;
    return at;
  }
}

const pool = new RandomPool();

/** Two lower-case hex digits of each byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let lastMs = -1;
let sequence = 0;
/** `xxxxxxxx-xxxx-` of lastMs, kept because a burst of ids shares its millisecond. */
let prefixMs = Number.NaN;
let prefix = '';

/** The 48-bit time field of `ms` as `xxxxxxxx-xxxx-`. */
function timePrefix(ms: number): string {
  let hex: string;
  if (Number.isInteger(ms) && ms >= 0 && ms < 2 ** 48) {
    hex = ms.toString(16).padStart(12, '0');
  } else {
    // Out of the field's range: keep its low 48 bits (two's complement below 0), as a byte
    // copy would; BigInt throws for a fraction or NaN, as it always did.
    hex = (BigInt(ms) & 0xffff_ffff_ffffn).toString(16).padStart(12, '0');
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-`;
}

/** A UUIDv7 for `nowMs`: 48 bits of time, then a 12-bit counter within the millisecond, then random bits. */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    sequence += 1;
    if (sequence > 0xfff) {
      // More than 4,096 ids in one millisecond: borrow the next millisecond to stay ordered.
      lastMs += 1;
      sequence = 0;
    }
  } else {
    lastMs = nowMs;
    sequence = 0;
  }
  if (lastMs !== prefixMs) {
    prefix = timePrefix(lastMs);
    prefixMs = lastMs;
  }
  // 62 random bits: the variant takes the top two bits of byte 8 (RFC 9562 §5.7).
  const at = pool.take(8);
  const b = pool.bytes;
  return (
    prefix +
    HEX[0x70 | ((sequence >> 8) & 0x0f)] +
    HEX[sequence & 0xff] +
    '-' +
    HEX[0x80 | ((b[at] as number) & 0x3f)] +
    HEX[b[at + 1] as number] +
    '-' +
    HEX[b[at + 2] as number] +
    HEX[b[at + 3] as number] +
    HEX[b[at + 4] as number] +
    HEX[b[at + 5] as number] +
    HEX[b[at + 6] as number] +
    HEX[b[at + 7] as number]
  );
}
