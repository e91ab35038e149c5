/**
 * One agent, one step at a time. A step reads an agent's state, moves it and writes it back; two
 * requests stepping the same agent at once (two batches of a relay in flight, a heartbeat beside a
 * payload, the sweep beside ingest) would both start from the same state, and the later write
 * would drop the earlier one's effect (its alert memory, its status change, counted twice as an
 * event). The queue runs work on a set of keys after every earlier work that shares a key, in
 * arrival order; work on other keys runs alongside. Keys are taken all at once when the work
 * arrives, so two works never wait for each other (no deadlock).
 */
export class KeyedQueue {
  /** The completion of the latest work queued on each key. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier work on any of `keys` is done. */
  async run<T>(keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const own = [...new Set(keys)];
    const before = new Set<Promise<void>>();
    for (const key of own) {
      const tail = this.tails.get(key);
      if (tail !== undefined) before.add(tail);
    }
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const key of own) this.tails.set(key, done);
    try {
      if (before.size > 0) await Promise.all(before);
      return await fn();
    } finally {
      release();
      // The map holds only keys with work queued: the last work on a key removes it.
      for (const key of own) if (this.tails.get(key) === done) this.tails.delete(key);
    }
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
