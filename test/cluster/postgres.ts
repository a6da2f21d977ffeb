/**
 * A PostgreSQL of the test's own, in a temporary directory on a free loopback
 * port (initdb + pg_ctl), so the cluster tests can restart it without
 * touching the machine's. As root, it runs as the `postgres` user (PostgreSQL
 * refuses to run as root).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePortInRange } from '../../src/temporal/free-port';

export interface TestPostgres {
  url: string;
  port: number;
  restart(): void;
  stop(): void;
  /** Stops it and removes its directory. */
  destroy(): void;
}

/** initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/<version>/bin. */
function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error('No PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin: apt-get install postgresql');
  return path.join(base, versions[0], 'bin');
}

/** @param options.maxConnections PostgreSQL's max_connections. @default 200 (PostgreSQL's own default is 100) */
export async function startTestPostgres(options: { maxConnections?: number } = {}): Promise<TestPostgres> {
  const bin = pgBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-pg-'));
  const dataDir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const pgUser = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const pgGroup = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(pgUser), Number(pgGroup));
  }
  const run = (tool: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : path.join(bin, tool), asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args, { stdio: 'pipe', cwd: dir });
  // Below the ephemeral range, so the port is still free when it restarts.
  const port = await freePortInRange(20_000, 32_000);
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=${options.maxConnections ?? 200}`;
  const start = () => run('pg_ctl', ['-D', dataDir, '-o', serverOptions, '-l', path.join(dir, 'postgres.log'), '-w', 'start']);
  const stop = () => {
    try {
      run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // already stopped
    }
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: () => {
      stop();
      start();
    },
    stop,
    destroy: () => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
