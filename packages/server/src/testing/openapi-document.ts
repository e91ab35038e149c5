/** The OpenAPI document of the app, built on throwaway stores (for docs/openapi.json and its check). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../app.js';
import { DEFAULT_CONFIG } from '../config.js';
import { openStores } from '../storage/index.js';

/** Builds the app on temporary SQLite stores and returns its OpenAPI document. */
export async function openApiDocument(): Promise<unknown> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-openapi-'));
  const stores = await openStores({ dataDir, databaseUrl: null });
  try {
    const app = await buildApp({ ...DEFAULT_CONFIG, dataDir, dashboardDir: join(dataDir, 'no-dashboard') }, {
      metadata: stores.metadata,
      series: stores.series,
      adminToken: 'openapi-document-token',
      logger: false,
    });
    await app.ready();
    const doc = app.swagger();
    await app.close();
    return JSON.parse(JSON.stringify(doc)) as unknown;
  } finally {
    await stores.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
