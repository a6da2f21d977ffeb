/**
 * Where a Signalroom cluster keeps Temporal's state: a PostgreSQL named by
 * DATABASE_URL (the machine's own on 127.0.0.1:5432 by default), with two
 * databases beside the one in the URL, one for history and one for
 * visibility, created and migrated with Temporal's own SQL tool.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import type { TemporalServerBinaries } from './server-binary';

const run = promisify(execFile);

export class PostgresUnreachableError extends Error {
  readonly code = 'postgres_unreachable';
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ClusterDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The database DATABASE_URL names: only used to connect and create the two below. */
  adminDatabase: string;
  /** History, shards, namespaces, membership. */
  database: string;
  /** Visibility (list filters and search attributes). */
  visibilityDatabase: string;
}

export function clusterDatabase(databaseUrl: string, databaseName: string): ClusterDatabase {
  const url = new URL(databaseUrl);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error(`DATABASE_URL must be a postgres:// URL, not ${url.protocol}//…`);
  return {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
    adminDatabase: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    database: databaseName,
    visibilityDatabase: `${databaseName}_visibility`,
  };
}

/** `host:port`, with brackets for IPv6. */
export function connectAddress(db: ClusterDatabase): string {
  return `${db.host.includes(':') && !db.host.startsWith('[') ? `[${db.host}]` : db.host}:${db.port}`;
}

function pgClient(db: ClusterDatabase, database: string): PgClient {
  return new PgClient({ host: db.host.replace(/^\[|\]$/g, ''), port: db.port, user: db.user, password: db.password || undefined, database });
}

/**
 * Creates both databases when missing and brings their schemas to the
 * version the server needs. Safe to run on every `cluster up`.
 */
export async function setUpSchemas(db: ClusterDatabase, binaries: TemporalServerBinaries, log: (line: string) => void): Promise<void> {
  const admin = pgClient(db, db.adminDatabase);
  try {
    await admin.connect();
  } catch (err) {
    throw new PostgresUnreachableError(`Cannot reach PostgreSQL at ${connectAddress(db)} as ${db.user} (database ${db.adminDatabase}): ${(err as Error).message}. Point DATABASE_URL at the PostgreSQL the cluster should use.`);
  }
  try {
    for (const name of [db.database, db.visibilityDatabase]) {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) {
        log(`Creating database ${name} on ${connectAddress(db)}.`);
        await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      }
    }
  } finally {
    await admin.end();
  }
  for (const [name, schema] of [
    [db.database, 'temporal'],
    [db.visibilityDatabase, 'visibility'],
  ] as const) {
    const env = {
      ...process.env,
      SQL_PLUGIN: 'postgres12',
      SQL_HOST: db.host,
      SQL_PORT: String(db.port),
      SQL_USER: db.user,
      SQL_PASSWORD: db.password,
      SQL_DATABASE: name,
    };
    if (!(await hasSchemaVersion(db, name))) {
      await run(binaries.sqlTool, ['--quiet', 'setup-schema', '-v', '0.0'], { env });
    }
    await run(binaries.sqlTool, ['--quiet', 'update-schema', '-d', path.join(binaries.postgresSchemaDir, schema, 'versioned')], { env });
  }
}

/** What the PostgreSQL allows: `max_connections`, less the slots it keeps for superusers. */
export async function connectionLimit(db: ClusterDatabase): Promise<{ maxConnections: number; forClients: number }> {
  const client = pgClient(db, db.adminDatabase);
  await client.connect();
  try {
    const r = await client.query<{ max: string; reserved: string }>("SELECT current_setting('max_connections') AS max, current_setting('superuser_reserved_connections') AS reserved");
    const maxConnections = Number(r.rows[0].max);
    return { maxConnections, forClients: maxConnections - Number(r.rows[0].reserved) };
  } finally {
    await client.end();
  }
}

async function hasSchemaVersion(db: ClusterDatabase, database: string): Promise<boolean> {
  const client = pgClient(db, database);
  await client.connect();
  try {
    const r = await client.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'");
    return (r.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

export interface MembershipRow {
  role: 'frontend' | 'history' | 'matching' | 'worker';
  address: string;
}

export interface ClusterView {
  /** Live members of Temporal's ring, from its own membership table. */
  members: MembershipRow[];
  /** History shard id → owner (the history service's `ip:port`). */
  shardOwners: Map<number, string>;
}

const ROLES = { 1: 'frontend', 2: 'history', 3: 'matching', 4: 'worker' } as const;

/** What Temporal itself records about its nodes: membership heartbeats and shard ownership. */
export async function readClusterView(db: ClusterDatabase): Promise<ClusterView> {
  const client = pgClient(db, db.database);
  await client.connect();
  try {
    const members = await client.query<{ role: number; rpc_address: string; rpc_port: number }>(
      // A node restarted on its ports joins under a new host id while its old
      // row still looks fresh for a few seconds: the ring knows a member by
      // its address, so the same address counts once.
      'SELECT DISTINCT role, rpc_address, rpc_port FROM cluster_membership WHERE record_expiry > now() AND last_heartbeat > now() - interval \'20 seconds\' ORDER BY role, rpc_port',
    );
    const shards = await client.query<{ shard_id: number; data: Buffer }>('SELECT shard_id, data FROM shards ORDER BY shard_id');
    return {
      members: members.rows
        .filter((r) => r.role in ROLES)
        .map((r) => ({ role: ROLES[r.role as keyof typeof ROLES], address: `${r.rpc_address}:${r.rpc_port}` })),
      shardOwners: new Map(shards.rows.map((r) => [r.shard_id, shardOwner(r.data)])),
    };
  } finally {
    await client.end();
  }
}

/**
 * The `owner` field (3, a string) of the ShardInfo proto the server stores
 * per shard. Only the top-level fields are walked; nothing else is needed.
 */
export function shardOwner(data: Buffer): string {
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = data[i++];
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
  };
  while (i < data.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const length = varint();
      if (field === 3) return data.subarray(i, i + length).toString('utf8');
      i += length;
    } else break;
  }
  return '';
}
