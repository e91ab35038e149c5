/**
 * The agentmon server under test as a child process (bench/server.mjs, forked): started on fresh
 * stores, asked for its memory and CPU over IPC, stopped cleanly or killed. Shared by the default
 * bench (run.ts) and the compare mode (compare.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ChildMessage, ParentMessage, ServerSpec } from './protocol.js';

/**
 * The environment and node flags of `npm start` (`VAR=value ... node <flags>
 * packages/cli/dist/bin.js serve`), read from the root package.json so that the bench runs the
 * server as users do (the `agentmon` command's #! line carries the same ones;
 * packages/cli/test/cli.test.ts holds them equal).
 */
function startCommand(): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  const env: Record<string, string> = {};
  let at = 0;
  for (; at < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[at] as string); at++) {
    const word = words[at] as string;
    env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
  }
  if (words[at] !== 'node') throw new Error(`npm start does not run node: ${pkg.scripts.start}`);
  const flags: string[] = [];
  for (const word of words.slice(at + 1)) {
    if (!word.startsWith('--')) break;
    flags.push(word);
  }
  return { env, flags };
}

/** The server under test, in its own process. */
export class ServerChild {
  private waiting: { type: ChildMessage['type']; resolve: (m: ChildMessage) => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: ChildMessage) => {
      const w = this.waiting;
      if (!w) return;
      this.waiting = null;
      if (m.type === 'failed') w.reject(new Error(`server failed:\n${m.message}`));
      else if (m.type === w.type) w.resolve(m);
      else w.reject(new Error(`server answered ${m.type}, expected ${w.type}`));
    });
    child.on('exit', (code) => {
      const w = this.waiting;
      this.waiting = null;
      // A clean exit after 'stopped' has nobody waiting; anything else is a crash.
      w?.reject(new Error(`server exited with code ${code}`));
    });
  }

  /** Starts the server; resolves once it listens. */
  static async start(spec: ServerSpec): Promise<{ server: ServerChild; port: number; location: string; notifyGroupWaitMs: number }> {
    // Plain node on the built server (no tsx, no `source` condition), with the environment and
    // the V8 flags of `npm start` and the `agentmon` command. BENCH_SERVER_NODE_ARGS adds node
    // flags (e.g. --cpu-prof) to the server only; a flag given there again wins (node takes the
    // last). A variable already in the bench's environment wins over npm start's. BENCH_SERVER_EXEC
    // runs the child under another program given node's arguments (a script that execs heaptrack).
    const start = startCommand();
    const child = fork(new URL('./server.mjs', import.meta.url), [], {
      execPath: process.env.BENCH_SERVER_EXEC ?? process.execPath,
      execArgv: [...start.flags, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')],
      env: { ...start.env, ...process.env, AGENTMON_BENCH_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerChild(child);
    const ready = await server.expect('ready', null);
    if (ready.type !== 'ready') throw new Error('unreachable');
    return { server, port: ready.port, location: ready.location, notifyGroupWaitMs: ready.notifyGroupWaitMs };
  }

  private expect(type: ChildMessage['type'], message: ParentMessage | null): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      this.waiting = { type, resolve, reject };
      if (message) this.child.send(message);
    });
  }

  /** The child's memory and CPU counters now. */
  async stats(): Promise<{ memory: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage }> {
    const m = await this.expect('stats', { type: 'stats' });
    if (m.type !== 'stats') throw new Error('unreachable');
    return { memory: m.memory, cpu: m.cpu };
  }

  /** Closes the app and its stores and waits for the child to end. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.expect('stopped', { type: 'stop' });
    await exited;
  }

  /** The child's process id (for /proc readings), or null when it is gone. */
  get pid(): number | null {
    return this.child.exitCode === null ? (this.child.pid ?? null) : null;
  }

  /** Ends the child at once (after a failure). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
