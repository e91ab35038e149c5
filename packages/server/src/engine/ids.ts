/** Time-ordered ids (UUID version 7), so records made in one millisecond still sort in creation order. */
import { randomBytes } from 'node:crypto';

let lastMs = -1;
let sequence = 0;

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
  const bytes = randomBytes(16);
  const ms = BigInt(lastMs);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
