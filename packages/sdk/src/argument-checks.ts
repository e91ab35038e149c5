/** The checks of AgentMonitor's arguments: a wrong one throws a TypeError or RangeError naming it. */
import { checkAmount, checkModelUsage, type ModelUsageInput } from './interval.js';
import { toError } from './timing.js';
import type { ApiCallOptions, InferenceOptions } from './monitor-types.js';

export function checkString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new TypeError(`AgentMonitor: ${field} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

export function checkPositive(value: number | undefined, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`AgentMonitor: ${field} must be a number from ${min} to ${max}, got ${String(value)}`);
  }
}

/**
 * The model usage of one call (one call of `extra.model`, its tokens, `tokens` counted as output),
 * checked whole before anything is recorded; null when the call names no model. Throws on a bad
 * field, so a call that cannot be counted right is reported and counts nothing.
 */
export function modelCall(method: string, extra: InferenceOptions | ApiCallOptions): ModelUsageInput | null {
  if (typeof extra !== 'object' || extra === null) throw new TypeError(`${method}: options must be an object`);
  const { model, tokens } = extra;
  if (model === undefined) {
    if (extra.costUsd !== undefined) throw new TypeError(`${method}: costUsd needs the model it was spent on`);
    if (extra.inputTokens !== undefined || extra.outputTokens !== undefined) {
      // `tokens` alone keeps its old treatment (a bad count is ignored); with the split, all are checked.
      prefixed(method, () => {
        checkAmount(extra.inputTokens, 'inputTokens');
        checkAmount(extra.outputTokens, 'outputTokens');
        checkAmount(tokens, 'tokens');
      });
    }
    return null;
  }
  prefixed(method, () => checkAmount(tokens, 'tokens'));
  const output = extra.outputTokens === undefined && tokens === undefined ? undefined : (extra.outputTokens ?? 0) + (tokens ?? 0);
  return prefixed(method, () =>
    checkModelUsage({
      model,
      calls: 1,
      ...(extra.provider !== undefined ? { provider: extra.provider } : {}),
      ...(extra.inputTokens !== undefined ? { inputTokens: extra.inputTokens } : {}),
      ...(output !== undefined ? { outputTokens: output } : {}),
      ...(extra.costUsd !== undefined ? { costUsd: extra.costUsd } : {}),
    }),
  );
}

/** Runs `fn`, naming `method` in the message of what it throws (the error goes to onError and the logger). */
export function prefixed<T>(method: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const e = toError(err);
    throw err instanceof RangeError ? new RangeError(`${method}: ${e.message}`) : new TypeError(`${method}: ${e.message}`);
  }
}

/** True when JSON can carry the value (custom metrics travel as JSON). */
export function jsonSafe(value: unknown): boolean {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}
