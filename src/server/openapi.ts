/**
 * The OpenAPI 3.1 document of /api/v1, generated from the route schemas of
 * the server as `signalroom server` builds it, and committed at
 * docs/openapi.json (`npm run openapi` rewrites it; a test checks it is current).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { serverDepsFrom } from '../cli/server';
import { ConfigSchema } from '../config/schema';
import { createRuntime } from '../runtime';
import { buildServer } from './app';

export const OPENAPI_FILE = path.resolve(__dirname, '../../docs/openapi.json');

/**
 * What `signalroom server` serves at /api/v1/openapi.json with every route
 * on: Slack OAuth configured adds the install-links route. Built as the
 * server command builds its server (test/unit/server/openapi-document.test.ts
 * compares the committed file with a running server's).
 */
export async function renderOpenApiDocument(): Promise<string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-openapi-'));
  const config = ConfigSchema.parse({
    slack: { organization: { signingSecret: 'documenting', clientId: 'documenting', clientSecret: 'documenting', stateSecret: 'documenting' } },
  });
  const runtime = await createRuntime({ env: { SIGNALROOM_DATA_DIR: dataDir }, config });
  // Documenting needs no cluster: the lazy connection never dials.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:7233' }) });
  const app = await buildServer(serverDepsFrom(runtime, temporal, { logger: false, metrics: { defaultMetrics: false } }));
  try {
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    if (res.statusCode !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.statusCode}: ${res.body}`);
    return `${JSON.stringify(res.json(), null, 2)}\n`;
  } finally {
    await app.close();
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
