/** Reading OTel attributes: the string under the first key present, and a stable key of a set. */
import type { Attributes } from './model.js';

/** The first of `keys` present as a non-empty string (numbers and booleans as text); null if none. */
export function attr(attributes: Attributes, ...keys: string[]): string | null {
  for (const key of keys) {
    const v = attributes[key];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  return null;
}

/** A number attribute (or a numeric string); null if absent. */
export function numberAttr(attributes: Attributes, key: string): number | null {
  const v = attributes[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** A key naming an attribute set whatever the order of its keys. */
export function attributesKey(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((k) => [k, attributes[k]]));
}
