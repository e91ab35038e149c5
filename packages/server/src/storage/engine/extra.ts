/**
 * A payload's non-numeric part (`extra`: custom_metrics as sent, health_checks, alerts) kept
 * compactly beside the numbers. Its JSON text repeats from one payload to the next except for the
 * numbers in custom_metrics, which are the payload's custom series values anyway. So a block keeps
 * a template per distinct shape: the JSON text with every such number replaced by a marker naming
 * its series (`#"queue_depth"`), and fills the markers back from the series when read. A number
 * that is not its series' value (inside an array, or shadowed by a dotted key) stays literal, so
 * filling a template gives back exactly the text that was stored.
 *
 * The templates are made by a scanner of the JSON text JSON.stringify writes (no whitespace): it
 * walks the text once, tracking the key path under custom_metrics as numericCustomMetrics flattens
 * it (`{llm: {calls: 3}}` is `llm.calls`, arrays are not entered).
 */

/** Marks a number taken from a series: outside strings, `#` never occurs in JSON. */
const MARK = 35; // '#'
const QUOTE = 34;
const BACKSLASH = 92;

/** The end (exclusive) of the JSON string token starting at `i` (a quote). */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const c = text.charCodeAt(j);
    if (Number.isNaN(c)) throw new SyntaxError('unterminated string in extra JSON');
    if (c === BACKSLASH) j += 2;
    else if (c === QUOTE) return j + 1;
    else j++;
  }
}

/** The value of the string token text[i, end). */
function stringValue(text: string, i: number, end: number): string {
  const raw = text.slice(i + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
}

function isNumberChar(c: number): boolean {
  // digits, '-', '+', '.', 'e', 'E'
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

interface Frame {
  array: boolean;
  /** Flattened path of this object under custom_metrics ('' at its root); null outside it or under an array. */
  path: string | null;
}

/**
 * The template of `json` (an `extra` as JSON.stringify wrote it): each number at a custom_metrics
 * path whose series value (from `valueOf`, by flattened key) prints the same is replaced by a marker.
 */
export function extraTemplate(json: string, valueOf: (key: string) => number | undefined): string {
  const stack: Frame[] = [];
  let out = '';
  let copied = 0;
  let pendingKey: string | null = null;
  let i = 0;
  const n = json.length;
  while (i < n) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(json, i);
      const top = stack[stack.length - 1];
      // A string right before ':' in an object is a key.
      if (top && !top.array && json.charCodeAt(end) === 58) pendingKey = stringValue(json, i, end);
      i = end;
      continue;
    }
    if (c === 123 || c === 91) {
      // '{' or '['
      const top = stack[stack.length - 1];
      let path: string | null = null;
      if (c === 123) {
        if (stack.length === 0) path = null;
        else if (stack.length === 1 && pendingKey === 'custom_metrics') path = '';
        else if (top && !top.array && top.path !== null && pendingKey !== null) path = top.path === '' ? pendingKey : `${top.path}.${pendingKey}`;
      }
      stack.push({ array: c === 91, path });
      pendingKey = null;
      i++;
      continue;
    }
    if (c === 125 || c === 93) {
      stack.pop();
      i++;
      continue;
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      let end = i + 1;
      while (end < n && isNumberChar(json.charCodeAt(end))) end++;
      const top = stack[stack.length - 1];
      if (top && !top.array && top.path !== null && pendingKey !== null) {
        const key = top.path === '' ? pendingKey : `${top.path}.${pendingKey}`;
        const value = valueOf(key);
        if (value !== undefined && JSON.stringify(value) === json.slice(i, end)) {
          out += json.slice(copied, i) + '#' + JSON.stringify(key);
          copied = end;
        }
      }
      pendingKey = null;
      i = end;
      continue;
    }
    if (c === 44) pendingKey = null; // ','
    i++;
  }
  return copied === 0 ? json : out + json.slice(copied);
}

/** The JSON text a template stands for, numbers filled from `valueOf`. Throws when one is missing. */
export function fillTemplate(template: string, valueOf: (key: string) => number | undefined): string {
  if (!template.includes('#')) return template;
  let out = '';
  let copied = 0;
  let i = 0;
  const n = template.length;
  while (i < n) {
    const c = template.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(template, i);
      continue;
    }
    if (c === MARK) {
      const end = stringEnd(template, i + 1);
      const key = stringValue(template, i + 1, end);
      const value = valueOf(key);
      if (value === undefined || Number.isNaN(value)) throw new RangeError(`extra template needs custom.${key}, which the row lacks`);
      out += template.slice(copied, i) + JSON.stringify(value);
      copied = end;
      i = end;
      continue;
    }
    i++;
  }
  return out + template.slice(copied);
}
