import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../src/testing/openapi-document.js';

it('docs/openapi.json is what the routes generate (run `npm run openapi` after changing a route)', async () => {
  const committed = JSON.parse(readFileSync(fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url)), 'utf8')) as unknown;
  assert.deepEqual(await openApiDocument(), committed);
});
