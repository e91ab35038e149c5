/** The bench's knobs from the environment: checked, with a clear message and exit 2 when one is not a number. */

/** An integer knob at least `min`, or `fallback` when unset. */
export function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}


/** A number knob above 0 (fractions allowed, e.g. BENCH_HOURS=0.25), or `fallback` when unset. */
export function numEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${name} must be a number > 0, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}
