/**
 * Code point order of strings, which is the byte order of their UTF-8: the order the SQL stores
 * sort text in (and the engine writes chunks in). JavaScript's `<` compares UTF-16 code units,
 * which agrees except where a surrogate pair (a code point above U+FFFF) meets a unit at or above
 * U+E000; this compares units and corrects only that case, without encoding either string.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      const xPair = x <= 0xdfff;
      const yPair = y <= 0xdfff;
      if (xPair !== yPair) return xPair ? 1 : -1;
    }
    return x - y;
  }
  return a.length - b.length;
}
