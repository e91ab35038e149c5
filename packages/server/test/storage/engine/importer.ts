/**
 * Opens the stores of the data dir argv[2] as `agentmon serve` would, printing the series engine's
 * messages (the import's progress among them) on stdout, then exits. For the import tests.
 */
import { openStores } from '../../../src/storage/index.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: importer.ts <data dir>');
const stores = await openStores({ dataDir, databaseUrl: null, log: (_level, message) => process.stdout.write(`${message}\n`) });
await stores.close();
process.stdout.write('closed\n');
