/** `npm run openapi`: rewrites docs/openapi.json from the route schemas. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OPENAPI_FILE, renderOpenApiDocument } from './openapi';

void renderOpenApiDocument().then((doc) => {
  mkdirSync(path.dirname(OPENAPI_FILE), { recursive: true });
  writeFileSync(OPENAPI_FILE, doc);
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}\n`);
});
