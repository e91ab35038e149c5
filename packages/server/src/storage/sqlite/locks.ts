/** SQLite: named locks (LockStore). One process owns a SQLite file, so a lock lives in its memory. */
import type { LockStore } from '../ports.js';

export class SqliteLocks implements LockStore {
  /** Names of the locks held. */
  private readonly held = new Set<string>();

  async tryLock(name: string): Promise<(() => Promise<void>) | null> {
    if (this.held.has(name)) return null;
    this.held.add(name);
    let holding = true;
    return async () => {
      // Twice is once: a second call must not free a lock someone else took meanwhile.
      if (!holding) return;
      holding = false;
      this.held.delete(name);
    };
  }

  /** Forgets every lock (the store closes). */
  clear(): void {
    this.held.clear();
  }
}
