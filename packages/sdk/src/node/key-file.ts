/** The agent's api_key kept in a file between runs (mode 0600, written whole then renamed into place). */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KeyStore, StoredKey } from '../session.js';

/** A KeyStore in the file at `path`; a missing file is no key, an unreadable one an error. */
export function fileKeyStore(path: string): KeyStore {
  return {
    async load(): Promise<StoredKey | null> {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new Error(`keyFile ${path}: ${(err as Error).message}`);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(`keyFile ${path}: not JSON; delete it to register afresh`);
      }
      const kept = parsed as Partial<StoredKey> | null;
      if (typeof kept?.agent_id !== 'string' || typeof kept.api_key !== 'string') {
        throw new Error(`keyFile ${path}: has no agent_id and api_key; delete it to register afresh`);
      }
      return { agent_id: kept.agent_id, api_key: kept.api_key };
    },
    async save(key: StoredKey): Promise<void> {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // Written beside and renamed, so a crash mid-write leaves the old key, never half of one.
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(key)}\n`, { mode: 0o600 });
      await rename(temp, path);
    },
  };
}
