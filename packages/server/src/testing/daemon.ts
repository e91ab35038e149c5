/**
 * A database server started for a test or a bench run (influxd, victoria-metrics): spawned with its
 * own temp dir, waited for until its probe answers, never outliving this process, stopped gently
 * (SIGTERM, then SIGKILL) with its dir removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** How to start one. */
export interface DaemonSpec {
  /** Its name in error messages. */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Its own temp dir, removed when it stops (or this process exits). */
  dir: string;
  /** A URL answering `readyStatus` once it serves. */
  probeUrl: string;
  readyStatus: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 5 s). */
  stopGraceMs?: number;
}

/** A running daemon. */
export interface Daemon {
  child: ChildProcess;
  /** True once the process is gone. */
  readonly exited: boolean;
  /** SIGTERM, SIGKILL after the grace; removes its dir. */
  stop(): Promise<void>;
}

/** Starts the daemon and resolves once its probe answers (throws with its stderr after 30 s or if it exits). */
export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const child = spawn(spec.command, [...spec.args], { stdio: ['ignore', 'ignore', 'pipe'], ...(spec.env ? { env: spec.env } : {}) });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const kill = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  // Never outlive this process, even when a caller forgets stop().
  const onExit = (): void => {
    kill();
    rmSync(spec.dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  child.unref();
  (child.stderr as (NodeJS.ReadableStream & { unref?: () => void }) | null)?.unref?.();

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      onExit();
      throw new Error(`${spec.name} exited while starting: ${stderr}`);
    }
    try {
      const res = await fetch(spec.probeUrl, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === spec.readyStatus) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      onExit();
      throw new Error(`${spec.name} did not answer ${new URL(spec.probeUrl).pathname} within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    child,
    get exited() {
      return exited;
    },
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(kill, spec.stopGraceMs ?? 5000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(spec.dir, { recursive: true, force: true });
      process.off('exit', onExit);
    },
  };
}
