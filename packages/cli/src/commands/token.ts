/** `agentmon token`: show the admin token kept in the data dir, or rotate it. */
import { join } from 'node:path';
import { Command } from 'commander';
import { dataDirOf, readAdminToken } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { json, type Output } from '../output.js';

interface TokenFlags {
  dataDir?: string;
  rotate?: boolean;
  json?: boolean;
}

/** The `token` command. */
export function tokenCommand(io: Output): Command {
  return new Command('token')
    .description('print the admin token kept in the data dir; --rotate writes a new one')
    .option('--data-dir <dir>', 'the server data dir (env AGENTMON_DATA_DIR, default ./data)')
    .option('--rotate', 'generate a new admin token (a running server keeps the old one until it restarts)')
    .option('--json', 'print JSON for scripts')
    .action(async (flags: TokenFlags) => {
      const dataDir = dataDirOf(flags);
      const path = join(dataDir, 'admin-token');
      if (flags.rotate) {
        // Loaded here only: the server package is heavy and only this subcommand needs it.
        const { rotateAdminToken } = await import('@agentmon/server');
        let token: string;
        try {
          token = rotateAdminToken(dataDir);
        } catch (err) {
          throw new CliError(`cannot write ${path}: ${(err as Error).message}`, EXIT.FAILURE);
        }
        if (flags.json) return io.out(json({ token, path, rotated: true }));
        io.out(`${token}\n`);
        io.err(`agentmon: new admin token written to ${path}; a running server keeps accepting the old one until it restarts\n`);
        if (process.env.AGENTMON_ADMIN_TOKEN) {
          io.err('agentmon: note that AGENTMON_ADMIN_TOKEN is set here; a server started with it ignores the file\n');
        }
        return;
      }
      const token = readAdminToken(dataDir);
      if (!token) {
        throw new CliError(`no admin token in ${path}: start the server once (agentmon serve), or create one with agentmon token --rotate`, EXIT.NOT_FOUND);
      }
      if (flags.json) return io.out(json({ token, path, rotated: false }));
      io.out(`${token}\n`);
    });
}
