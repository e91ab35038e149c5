/** A bounded first-in first-out queue that drops its oldest items when full (the reporter's buffer). */

/** Bounded FIFO: `push` beyond the limit drops the oldest items and says how many. */
export class BoundedQueue<T> {
  private items: T[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`BoundedQueue: limit must be an integer >= 1, got ${limit}`);
  }

  /** Items held. */
  get size(): number {
    return this.items.length;
  }

  /** Appends an item; returns how many of the oldest were dropped to stay within `limit - reserved`. */
  push(item: T, reserved = 0): number {
    this.items.push(item);
    return this.trim(reserved);
  }

  /** Removes and returns up to `n` of the oldest items. */
  shift(n: number): T[] {
    return this.items.splice(0, Math.max(0, n));
  }

  /** Puts items back in front (a batch that could not be sent); returns how many of the oldest were dropped. */
  unshift(items: readonly T[], reserved = 0): number {
    this.items.unshift(...items);
    return this.trim(reserved);
  }

  /** A copy of the items, oldest first. */
  toArray(): T[] {
    return [...this.items];
  }

  /** Empties the queue; returns what it held. */
  clear(): T[] {
    const all = this.items;
    this.items = [];
    return all;
  }

  /** `reserved` counts items held elsewhere (in flight) against the same limit. */
  private trim(reserved: number): number {
    const room = Math.max(0, this.limit - reserved);
    const excess = this.items.length - room;
    if (excess <= 0) return 0;
    this.items.splice(0, excess);
    return excess;
  }
}
