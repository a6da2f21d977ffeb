/**
 * The OpenAPI 3.1 document of /api/v1, generated from the route schemas of
 * the server as `signalroom server` builds it, and committed at
 * docs/openapi.json (`npm run openapi` rewrites it; a test checks it is current).
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { buildServer } from './app';
import { featureApiRoutes } from './features';

export const OPENAPI_FILE = path.resolve(__dirname, '../../docs/openapi.json');

export async function renderOpenApiDocument(): Promise<string> {
  // Documenting needs no cluster: the lazy connection never dials.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:7233' }) });
  const app = await buildServer({ temporal, logger: false, metrics: { defaultMetrics: false }, apiRoutes: featureApiRoutes({ temporal, taskQueue: 'signalroom' }) });
  try {
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    if (res.statusCode !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.statusCode}: ${res.body}`);
    return `${JSON.stringify(res.json(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
