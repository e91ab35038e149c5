/**
 * Number text for the health score's details, which put four payload values into words on every
 * step. `String(x)` of a fraction goes through the runtime's shortest-digits conversion, the largest
 * single cost of a step; most payload values are short decimals, whose text is found here exactly.
 */

export const POW10: readonly number[] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
const WHOLE: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i));
/** The `k`-digit fraction texts for k = 1..3, zero-padded: FRACTION[2][5] is `05`. */
const FRACTION: readonly (readonly string[])[] = [[], ...[1, 2, 3].map((k) => Array.from({ length: 10 ** k }, (_, f) => String(f).padStart(k, '0')))];

/**
 * The fewest decimals k (1 to 6) of a fraction between 1e-6 and 1e9 whose decimal n / 10^k reads
 * back as x, or 0 when x is outside that range, whole, or needs more: then only `String(x)` gives its
 * text. Within that range one double is less than 10^-6 wide, so at most one k-decimal reads back as
 * x, and the one with the fewest decimals is the shortest text that does, which is what String gives.
 */
export function decimalPlaces(x: number): number {
  if (x >= 1e-6 && x < 1e9 && !Number.isInteger(x)) {
    for (let k = 1; k <= 6; k++) {
      const p = POW10[k] as number;
      // Math.round(x * p) and p are exact, so their quotient is the double nearest the decimal.
      if (Math.round(x * p) / p === x) return k;
    }
  }
  return 0;
}

/** `String(x)`, the same text for every number, without the runtime's slow path for short decimals. */
export function numberText(x: number): string {
  if (x < 0) return x <= -1e-6 && x > -1e9 && !Number.isInteger(x) ? `-${numberText(-x)}` : String(x);
  const k = decimalPlaces(x);
  if (k === 0) return String(x);
  const p = POW10[k] as number;
  const whole = Math.floor(x);
  const fraction = Math.round(x * p) - whole * p;
  return `${whole < 1000 ? WHOLE[whole] : String(whole)}.${k <= 3 ? (FRACTION[k] as readonly string[])[fraction] : String(fraction).padStart(k, '0')}`;
}
