/**
 * Text written straight into UTF-8 bytes, for the answers that run to thousands of rows: the latest
 * value of every metric of a 1,000-agent fleet is 27,000 values and 850 KB of JSON, and a Prometheus
 * scrape of it 18,000 samples and 1.8 MB.
 *
 * Built as a string per row and joined, that answer took 10-12 ms: the row strings, the joined
 * runs (flattened again when encoded) and a number's text per value are all made, copied and
 * collected. Here each character is stored once into a byte array that doubles as it fills, and a
 * number's digits are stored without making its text where the number is a short decimal or an
 * integer, which is what payload values are. A byte array, not one large string: a string past
 * 128 KiB is a fresh large object in V8, pages that fault on first touch (about 13 µs a page on a
 * virtual machine).
 */
import { POW10, decimalPlaces } from './text.js';

const encoder = new TextEncoder();

// Bytes of the punctuation written here.
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

/** Integers below this are written with 32-bit int arithmetic. */
const SMALL_INT = 2 ** 31;

/** Bytes of the longest number text written digit by digit: a sign, 15 digits, a dot, 6 decimals. */
const MAX_NUMBER_BYTES = 23;

/** Integers up to this size are written digit by digit; String gives the text of larger ones (exponents past 1e21). */
const MAX_DIGIT_INTEGER = 1e15;

/**
 * The text `write` writes, as bytes. `sizeHint`: the bytes it is expected to take; a generous
 * one saves the array's doubling (a copy, and fresh pages past 1 MiB).
 */
export function writeText(sizeHint: number, write: (w: TextWriter) => void): Uint8Array {
  const w = new TextWriter(new Uint8Array(Math.max(256, Math.ceil(sizeHint))));
  write(w);
  return w.bytes();
}

/** A growing byte array text is written into (through writeText). */
export class TextWriter {
  private at = 0;

  constructor(private buf: Uint8Array) {}

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  /** Text written as UTF-8: punctuation, a key, JSON.stringify's output. */
  text(s: string): this {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Past ASCII the rest is encoded by TextEncoder: at most 3 bytes per UTF-16 unit.
        this.at = at;
        this.room((n - i) * 3);
        this.at += encoder.encodeInto(s.slice(i), this.buf.subarray(this.at)).written;
        return this;
      }
      buf[at++] = c;
    }
    this.at = at;
    return this;
  }

  /** Bytes as they are (a key or an id encoded once for many rows). */
  raw(bytes: Uint8Array): this {
    this.room(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
    return this;
  }

  /** A number as JSON.stringify writes it (String's text for a finite one; `null` for NaN and the infinities). */
  number(x: number): this {
    if (!Number.isFinite(x)) return this.text('null');
    const whole = Number.isInteger(x);
    // -0 is written 0, as String and JSON.stringify write it.
    if (whole && (x >= MAX_DIGIT_INTEGER || x <= -MAX_DIGIT_INTEGER)) return this.text(String(x));
    const a = x < 0 ? -x : x;
    const k = whole ? 0 : decimalPlaces(a);
    if (!whole && k === 0) return this.text(String(x));
    // One check of room for the longest text written here: a sign, 15 digits, a dot and 6 decimals.
    this.room(MAX_NUMBER_BYTES);
    if (x < 0) this.buf[this.at++] = MINUS;
    if (whole) {
      this.digits(a);
      return this;
    }
    const p = POW10[k] as number;
    const units = Math.floor(a);
    this.digits(units);
    const buf = this.buf;
    buf[this.at] = DOT;
    // The fraction's k digits, zero-padded on the left: 5 with k = 3 is 005 (k <= 6: int arithmetic).
    let f = (Math.round(a * p) - units * p) | 0;
    for (let i = k; i >= 1; i--) {
      const q = (f / 10) | 0;
      buf[this.at + i] = ZERO + f - q * 10;
      f = q;
    }
    this.at += k + 1;
    return this;
  }

  /** The digits of a whole number below 1e15 (room already made). */
  private digits(n: number): void {
    const buf = this.buf;
    if (n < SMALL_INT) {
      // Int arithmetic, by far the most frequent case (whole parts of payload values).
      let m = n | 0;
      let count = 1;
      for (let t = m; t >= 10; t = (t / 10) | 0) count++;
      for (let i = this.at + count - 1; i >= this.at; i--) {
        const q = (m / 10) | 0;
        buf[i] = ZERO + m - q * 10;
        m = q;
      }
      this.at += count;
      return;
    }
    let count = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) count++;
    let m = n;
    for (let i = this.at + count - 1; i >= this.at; i--) {
      buf[i] = ZERO + (m % 10);
      m = Math.floor(m / 10);
    }
    this.at += count;
  }
}

/** The UTF-8 bytes of a text (written once, copied into many rows). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
