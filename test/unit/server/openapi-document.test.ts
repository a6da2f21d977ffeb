/**
 * docs/openapi.json is the document `signalroom server` serves, and it passes
 * Redocly's recommended ruleset. The server is the one an operator starts,
 * with every route on: Slack OAuth configured adds
 * `POST /api/v1/integrations/install-links`. Temporal is never dialed: the
 * server connects lazily, and documenting needs none.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { OPENAPI_FILE } from '../../../src/server/openapi';
import { freePortInRange } from '../../../src/temporal/free-port';
import { eventually } from '../../support/eventually';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');

let server: ChildProcess;
let exited: Promise<unknown>;
let served: string;
let output = '';

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sr-openapi-'));
  writeFileSync(
    path.join(dir, 'signalroom.yaml'),
    [
      'slack:',
      '  organization:',
      '    signingSecret: documenting-signing-secret',
      '    clientId: "1234.5678"',
      '    clientSecret: documenting-client-secret',
      '    stateSecret: documenting-state-secret',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (/^(TEMPORAL_|SLACK_|SIGNALROOM_|DATABASE_URL$|PORT$)/.test(name)) delete env[name];
  const port = await freePortInRange(20_000, 32_000);
  server = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'server', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: dir,
    env: { ...env, SIGNALROOM_CONFIG: path.join(dir, 'signalroom.yaml'), SIGNALROOM_DATA_DIR: path.join(dir, 'data'), TEMPORAL_ADDRESS: '127.0.0.1:1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  server.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  exited = new Promise((resolve) => server.once('exit', resolve));
  served = await eventually(
    'signalroom server to serve /api/v1/openapi.json',
    async () => {
      if (server.exitCode !== null) throw new Error(`signalroom server exited ${server.exitCode}:\n${output}`);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    },
    30_000,
    200,
  );
}, 60_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await exited;
});

test('docs/openapi.json is the document `signalroom server` serves, as `npm run openapi` writes it', () => {
  const committed = readFileSync(OPENAPI_FILE, 'utf8');
  expect(JSON.parse(committed)).toEqual(JSON.parse(served));
  expect(committed).toBe(`${JSON.stringify(JSON.parse(served), null, 2)}\n`);
});

test("Redocly's recommended ruleset passes on docs/openapi.json, servers and license included", async () => {
  const redocly = path.join(ROOT, 'node_modules/.bin/redocly');
  const r = await exec(redocly, ['lint', '--format=json', OPENAPI_FILE], {
    cwd: ROOT,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
  const report = JSON.parse(r.stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string }> };
  expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
  expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
});
