/**
 * Starts a storage worker thread from its module's sibling file, whether the server runs built
 * (`.js`) or from sources through tsx (tests, the bench): a worker thread does not inherit tsx's
 * hooks, so from sources it registers them before importing the TypeScript entry.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Semi-space size of a storage worker's heap, MiB (its young generation is twice that).
 *
 * The server runs with 32 MiB semi-spaces (`bin/agentmon.js` says why: a batch of payloads lives
 * through a request), and V8 sizes every isolate it creates from that process-wide flag, which
 * overrides a worker's `resourceLimits`: the sealing worker grew a 64 MiB young generation it has
 * no use for (a merge's garbage is an agent's rows at a time) and held 77-94 MiB of heap for as
 * long as flushes and merges went on (measured under the compare bench's load, per isolate from
 * `v8.getHeapSpaceStatistics`). V8 reads the flag when an isolate is made, so setting it before a
 * worker starts sizes the workers started from then on and leaves the main heap as it was made.
 * The storage workers are the only isolates the server starts.
 */
export const WORKER_SEMI_SPACE_MB = 4;

/**
 * The worker whose entry is `entry` (a file name without extension) in the folder of the module
 * at `fromUrl` (its `import.meta.url`).
 */
export function startWorker(fromUrl: string, entry: string, options: WorkerOptions = {}): Worker {
  setFlagsFromString(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  const here = fileURLToPath(fromUrl);
  const dir = here.slice(0, here.lastIndexOf('/') + 1);
  if (here.endsWith('.ts')) {
    const url = pathToFileURL(`${dir}${entry}.ts`).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`, {
      ...options,
      eval: true,
    });
  }
  return new Worker(`${dir}${entry}.js`, options);
}
