/**
 * The installation store's PostgreSQL: its own setting and pool size, and an
 * error that names PostgreSQL when it refuses. (Too many clients, on a
 * PostgreSQL a 2-node cluster shares: test/cluster/postgres-connections.test.ts.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigSchema } from '../../../src/config/schema';
import { Unreachable } from '../../../src/errors';
import { installationStoreSettings, openInstallationStore } from '../../../src/store/installations';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
/** Port 1 on loopback: nothing listens there, so the connection is refused at once. */
const REFUSING = 'postgres://signalroom:secret-pw@127.0.0.1:1/signalroom';

test('a store pointed at a PostgreSQL that refuses fails naming PostgreSQL, where, and the setting that chose it', async () => {
  const settings = installationStoreSettings({ SIGNALROOM_DATABASE_URL: REFUSING }, ConfigSchema.parse({}));
  const err = await openInstallationStore({ ...settings, dataDir: mkdtempSync(path.join(os.tmpdir(), 'sr-store-')) }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(Unreachable);
  expect(err?.message).toMatch(/^Cannot connect to PostgreSQL at 127\.0\.0\.1:1 as signalroom \(database signalroom; SIGNALROOM_DATABASE_URL, the installation store\)/);
  expect(err?.message).toContain('ECONNREFUSED');
  expect(err?.message).not.toContain('secret-pw');
});

test('`signalroom worker` with a refusing PostgreSQL exits 69, naming PostgreSQL', async () => {
  // A folder without signalroom.yaml: the built-in configuration, DATABASE_URL as a user set it before the store had its own variable.
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sr-store-'));
  const { SIGNALROOM_CONFIG: _config, SIGNALROOM_DATABASE_URL: _store, ...env } = process.env;
  const r = await exec(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'worker'], {
    cwd,
    env: { ...env, DATABASE_URL: REFUSING, SIGNALROOM_DATA_DIR: cwd },
  }).then(
    (ok) => ({ code: 0, stderr: ok.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
  expect(r.code).toBe(69);
  expect(r.stderr).toContain('Cannot connect to PostgreSQL at 127.0.0.1:1 as signalroom (database signalroom; DATABASE_URL, the installation store)');
  expect(r.stderr).not.toContain('secret-pw');
});

describe('which PostgreSQL the installation store uses, with what pool', () => {
  const config = (store?: object) => ConfigSchema.parse(store ? { store } : {});

  test('SIGNALROOM_DATABASE_URL, its own variable, before DATABASE_URL (which a Temporal cluster may use)', () => {
    expect(installationStoreSettings({ SIGNALROOM_DATABASE_URL: 'postgres://a/x', DATABASE_URL: 'postgres://b/y' }, config())).toEqual({
      databaseUrl: 'postgres://a/x',
      source: 'SIGNALROOM_DATABASE_URL',
      poolSize: 4,
    });
  });

  test('store.databaseUrl in the configuration file before either variable; store.poolSize sizes the pool', () => {
    expect(installationStoreSettings({ SIGNALROOM_DATABASE_URL: 'postgres://a/x' }, config({ databaseUrl: 'postgres://c/z', poolSize: 2 }))).toEqual({
      databaseUrl: 'postgres://c/z',
      source: 'store.databaseUrl',
      poolSize: 2,
    });
  });

  test('DATABASE_URL alone still works, as before', () => {
    expect(installationStoreSettings({ DATABASE_URL: 'postgres://b/y' }, config())).toMatchObject({ databaseUrl: 'postgres://b/y', source: 'DATABASE_URL' });
  });

  test('none: the file store', () => {
    expect(installationStoreSettings({}, config()).databaseUrl).toBeUndefined();
  });

  test('a pool size beyond what one process needs is refused on load', () => {
    expect(() => config({ poolSize: 0 })).toThrow();
    expect(() => config({ poolSize: 500 })).toThrow();
  });
});
