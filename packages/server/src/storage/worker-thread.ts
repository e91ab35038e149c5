/**
 * Starts a storage worker thread from its module's sibling file, whether the server runs built
 * (`.js`) or from sources through tsx (tests, the bench): a worker thread does not inherit tsx's
 * hooks, so from sources it registers them before importing the TypeScript entry.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The worker whose entry is `entry` (a file name without extension) in the folder of the module
 * at `fromUrl` (its `import.meta.url`).
 */
export function startWorker(fromUrl: string, entry: string, options: WorkerOptions = {}): Worker {
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
