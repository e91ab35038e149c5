/**
 * A PostgreSQL cluster of a test's own (initdb in a temp dir, its own port, trust auth), so fault
 * tests can stop it, kill its connections and start it again without touching the machine's
 * shared server. Debian's binaries (/usr/lib/postgresql/<version>/bin, or AGENTMON_TEST_PG_BIN);
 * run as the `postgres` user when the tests run as root (PostgreSQL refuses root).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The folder of initdb and pg_ctl, or null when there is none. */
export function postgresBin(): string | null {
  const given = process.env.AGENTMON_TEST_PG_BIN;
  if (given) return existsSync(join(given, 'initdb')) ? given : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A private cluster: its URL, and stop/start as a person at its console would. */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
    private readonly asPostgres: boolean,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** initdb and start; throws when the binaries are missing. */
  static async create(): Promise<PrivatePostgres> {
    const bin = postgresBin();
    if (!bin) throw new Error('no PostgreSQL binaries (initdb, pg_ctl) found');
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-pg-'));
    const asPostgres = userInfo().uid === 0;
    if (asPostgres) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
    }
    const pg = new PrivatePostgres(bin, dir, await freePort(), asPostgres);
    pg.run('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    pg.start();
    return pg;
  }

  private run(tool: string, args: string[]): void {
    const path = join(this.bin, tool);
    const [cmd, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    execFileSync(cmd, argv, { stdio: 'ignore', timeout: 60_000 });
  }

  start(): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-o', options, '-l', join(this.dir, 'log'), '-w', 'start']);
  }

  /** pg_ctl stop: `fast` ends sessions cleanly, `immediate` drops them as a crash would. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  /** Stops the cluster (if running) and deletes it. */
  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // Already stopped.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
