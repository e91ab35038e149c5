/**
 * A large JSON array body parsed in pieces. A batch of a thousand payloads is about 800 KB of JSON;
 * decoded whole, its text is one string in V8's large-object space, a fresh mapping of pages
 * that each fault on first touch (about 13 µs a page on a virtual machine): 2-3 ms a batch, a
 * tenth of the ingest path. Decoded as pieces under V8's large-object threshold, the same text
 * lands in the young generation, whose pages are reused, in about a tenth of that time.
 *
 * Only bodies with no backslash in their bytes take this path: a string with an escape (`\u0000`,
 * a lone surrogate, a quote) needs the text checks of input-guard.ts, which read the whole text,
 * and a one-byte search runs at memchr speed. Prototype-poisoning keys (`__proto__`), which the
 * ordinary parser refuses while parsing, are refused by input-guard's walk of the parsed body.
 *
 * The pieces are cut where one element ends and the next begins with the same first key as the
 * first element: `},{"agent_id":` for a batch of payloads. With no backslash, no string holds a
 * quote, so the cut can only fall between two objects, at the top level or nested deeper. A cut at
 * a nested object leaves a piece that is not JSON on its own (a JSON object is prefix-free), so
 * JSON.parse refuses it and the piece is extended to the next cut; after a few such misses, or
 * when the text is not JSON, the caller parses the whole text the ordinary way. Pieces that all
 * parse were cut between top-level elements, and their elements, in order, are the array.
 */

/** Bodies shorter than this are parsed whole: their text is not a large object. */
export const PIECEWISE_MIN_BYTES = 96 * 1024;

/** Target length of one piece: well under V8's large-object threshold (128 KiB) with an element or two added. */
const PIECE_BYTES = 48 * 1024;

/**
 * Cuts one piece may try that fail to parse (a cut at a nested object) before the body is parsed
 * whole: a bound on the extra parsing a body built to miss can cost.
 */
const MAX_MISSES = 2;

// The bytes read here, as Buffer.indexOf and indexing give them.
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;
const COLON = 0x3a;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The array `body` holds, parsed piece by piece, or undefined when it must be parsed whole: too
 * short, not an array of objects in compact form, holding text that needs the whole-text checks,
 * or not valid JSON (the whole parse then says so).
 */
export function parseLargeArray(body: Buffer): unknown[] | undefined {
  if (body.length < PIECEWISE_MIN_BYTES) return undefined;
  let start = 0;
  let end = body.length;
  while (start < end && isSpace(body[start])) start += 1;
  while (end > start && isSpace(body[end - 1])) end -= 1;
  if (body[start] !== OPEN_BRACKET || body[end - 1] !== CLOSE_BRACKET) return undefined;
  if (body.includes(BACKSLASH)) return undefined;
  const cut = cutBefore(body, start + 1);
  if (cut === undefined) return undefined;

  const out: unknown[] = [];
  const last = end - 1;
  let from = start + 1;
  while (from < last) {
    let misses = 0;
    let at = from + PIECE_BYTES < last ? body.indexOf(cut, from + PIECE_BYTES) : -1;
    for (;;) {
      const to = at === -1 || at >= last ? last : at + 1;
      // One piece for the whole text (pretty-printed, or one huge element) gains nothing.
      if (from === start + 1 && to === last) return undefined;
      const elements = parsePiece(body, from, to);
      if (elements !== undefined) {
        for (let i = 0; i < elements.length; i += 1) out.push(elements[i]);
        from = to + 1;
        break;
      }
      // The cut was inside an element (a nested object with the same first key) or the text is
      // not JSON: try the next cut a few times, then leave it to the whole-text parser.
      misses += 1;
      if (to === last || misses > MAX_MISSES) return undefined;
      at = body.indexOf(cut, at + 1);
    }
  }
  return out;
}

/**
 * The bytes between two elements that begin like the one at `at`: `},{"key":`, or undefined when
 * that element is not an object.
 */
function cutBefore(body: Buffer, at: number): Buffer | undefined {
  if (body[at] !== OPEN_BRACE || body[at + 1] !== QUOTE) return undefined;
  const close = body.indexOf(QUOTE, at + 2);
  if (close === -1 || body[close + 1] !== COLON) return undefined;
  return Buffer.concat([Buffer.from('},'), body.subarray(at, close + 2)]);
}

/** The elements of the text between `from` and `to`, or undefined when they are not JSON. */
function parsePiece(body: Buffer, from: number, to: number): unknown[] | undefined {
  try {
    return JSON.parse(`[${body.toString('utf8', from, to)}]`) as unknown[];
  } catch {
    return undefined;
  }
}
