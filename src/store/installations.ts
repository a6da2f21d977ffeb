/**
 * Where OAuth installations live: PostgreSQL when configured (`store.databaseUrl`,
 * else SIGNALROOM_DATABASE_URL, else DATABASE_URL), else @slack/oauth's own
 * file store under the data folder (the embedded default).
 *
 * Both stores also keep what guards "Connect Slack": the workspace the
 * organization integration is pinned to (the first install) and the one-time
 * install links `signalroom install-link` prints.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileInstallationStore, type Installation, type InstallationQuery, type InstallationStore } from '@slack/oauth';
import { Pool } from 'pg';
import type { SignalroomEnv } from '../config/env';
import type { SignalroomConfig } from '../config/schema';
import { Unreachable } from '../errors';
import { migrate } from './migrate';

/** A workspace (`T:<team>`) or an Enterprise Grid organization (`E:<enterprise>`), as installations are keyed. */
export type WorkspaceKey = `T:${string}` | `E:${string}`;

export function installKey(q: { isEnterpriseInstall?: boolean; enterpriseId?: string; teamId?: string }): WorkspaceKey {
  if (q.isEnterpriseInstall && q.enterpriseId) return `E:${q.enterpriseId}`;
  if (!q.teamId) throw new Error('An installation query needs a team id');
  return `T:${q.teamId}`;
}

export function installationKey(installation: Installation<'v1' | 'v2', boolean>): WorkspaceKey {
  return installKey({ isEnterpriseInstall: installation.isEnterpriseInstall, enterpriseId: installation.enterprise?.id, teamId: installation.team?.id });
}

function queryForKey(key: WorkspaceKey): InstallationQuery<boolean> {
  return key.startsWith('E:')
    ? { enterpriseId: key.slice(2), teamId: undefined, isEnterpriseInstall: true }
    : { teamId: key.slice(2), enterpriseId: undefined, isEnterpriseInstall: false };
}

/** A one-time install link's secret: only its hash is stored. */
export interface InstallLink {
  token: string;
  expiresAt: Date;
}

/** @default 15 minutes: long enough to open the link and allow the app, short enough not to linger in a chat. */
export const INSTALL_LINK_TTL_MS = 15 * 60_000;

/** What "Connect Slack" needs from a store besides installations. */
export interface OrganizationGuard {
  /** The pinned workspace, recording `candidate` as the pin when there is none yet (atomically: the first install wins). */
  claimOrganization(candidate: WorkspaceKey, enterpriseId?: string): Promise<WorkspaceKey>;
  /** A new single-use install link, valid for `ttlMs`. */
  createInstallLink(ttlMs?: number): Promise<InstallLink>;
  /** True once for a link that exists and has not expired; it is used up either way. */
  consumeInstallLink(token: string): Promise<boolean>;
}

export type SignalroomInstallationStore = InstallationStore & OrganizationGuard;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const newToken = () => randomBytes(24).toString('base64url');

export class PostgresInstallationStore implements SignalroomInstallationStore {
  constructor(private readonly pool: Pool) {}

  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(installation: Installation<AuthVersion, boolean>): Promise<void> {
    const key = installationKey(installation);
    await this.pool.query(
      `INSERT INTO slack_installations (install_key, team_id, enterprise_id, is_enterprise_install, bot_user_id, scopes, installation)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (install_key) DO UPDATE SET team_id = EXCLUDED.team_id, enterprise_id = EXCLUDED.enterprise_id,
         is_enterprise_install = EXCLUDED.is_enterprise_install, bot_user_id = EXCLUDED.bot_user_id, scopes = EXCLUDED.scopes,
         installation = EXCLUDED.installation, updated_at = now()`,
      [key, installation.team?.id ?? null, installation.enterprise?.id ?? null, Boolean(installation.isEnterpriseInstall), installation.bot?.userId ?? null, installation.bot?.scopes ?? [], installation],
    );
  }

  /** Without a team or enterprise: the pinned organization's installation (never merely the newest). */
  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    const res = query.teamId || query.isEnterpriseInstall
      ? await this.pool.query('SELECT installation FROM slack_installations WHERE install_key = $1', [installKey(query)])
      : await this.pool.query('SELECT i.installation FROM slack_installations i JOIN slack_organization o ON o.install_key = i.install_key');
    if (res.rowCount === 0) throw new Error(`No Slack installation for ${query.teamId ?? query.enterpriseId ?? 'this organization'}`);
    return res.rows[0].installation;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.pool.query('DELETE FROM slack_installations WHERE install_key = $1', [installKey(query)]);
  }

  async claimOrganization(candidate: WorkspaceKey): Promise<WorkspaceKey> {
    await this.pool.query('INSERT INTO slack_organization (install_key) VALUES ($1) ON CONFLICT DO NOTHING', [candidate]);
    return (await this.pool.query('SELECT install_key FROM slack_organization')).rows[0].install_key;
  }

  async createInstallLink(ttlMs = INSTALL_LINK_TTL_MS): Promise<InstallLink> {
    const token = newToken();
    const expiresAt = new Date(Date.now() + ttlMs);
    await this.pool.query('INSERT INTO slack_install_links (token_hash, expires_at) VALUES ($1, $2)', [hashToken(token), expiresAt]);
    return { token, expiresAt };
  }

  async consumeInstallLink(token: string): Promise<boolean> {
    const res = await this.pool.query('UPDATE slack_install_links SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL RETURNING expires_at', [hashToken(token)]);
    return res.rowCount === 1 && new Date(res.rows[0].expires_at).getTime() > Date.now();
  }
}

export interface InstallationStoreHandle {
  store: SignalroomInstallationStore;
  kind: 'postgres' | 'file';
  close(): Promise<void>;
}

/** Connections per process, as `store.poolSize` defaults. */
const DEFAULT_POOL_SIZE = 4;

/** The setting a store's PostgreSQL came from, for messages: `store.databaseUrl`, or a variable's name. */
export type StoreUrlSource = 'store.databaseUrl' | 'SIGNALROOM_DATABASE_URL' | 'DATABASE_URL';

export interface InstallationStoreSettings {
  databaseUrl?: string;
  source?: StoreUrlSource;
  poolSize: number;
}

/**
 * The store's PostgreSQL: the configuration file's `store.databaseUrl`, else
 * SIGNALROOM_DATABASE_URL, its own variable, else DATABASE_URL (read before
 * the store had its own; `signalroom cluster` reads it for Temporal's).
 */
export function installationStoreSettings(env: Pick<SignalroomEnv, 'SIGNALROOM_DATABASE_URL' | 'DATABASE_URL'>, config: Pick<SignalroomConfig, 'store'>): InstallationStoreSettings {
  const { poolSize } = config.store;
  if (config.store.databaseUrl) return { databaseUrl: config.store.databaseUrl, source: 'store.databaseUrl', poolSize };
  if (env.SIGNALROOM_DATABASE_URL) return { databaseUrl: env.SIGNALROOM_DATABASE_URL, source: 'SIGNALROOM_DATABASE_URL', poolSize };
  if (env.DATABASE_URL) return { databaseUrl: env.DATABASE_URL, source: 'DATABASE_URL', poolSize };
  return { poolSize };
}

/** Connection failures that say PostgreSQL cannot take this process now (down, full, starting), not that a setting is wrong. */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '53300', '53000', '57P03']);

/** `host:port as user (database name; SOURCE, the installation store)`, without the password. */
function describeDatabase(databaseUrl: string, source: StoreUrlSource): string {
  const what = `${source}, the installation store`;
  try {
    const url = new URL(databaseUrl);
    const database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
    return `${url.hostname || 'localhost'}:${url.port || 5432} as ${decodeURIComponent(url.username) || 'the current user'} (database ${database}; ${what})`;
  } catch {
    return `(${what})`;
  }
}

/** Names PostgreSQL, where it is and which setting chose it, and what to do when it is full. */
function storeConnectError(err: Error & { code?: string }, settings: Partial<InstallationStoreSettings>): Error {
  const where = describeDatabase(settings.databaseUrl!, settings.source ?? 'SIGNALROOM_DATABASE_URL');
  const reason = err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message;
  const hint =
    err.code === '53300'
      ? ' PostgreSQL has no connection left for this process (its max_connections, 100 by default): a Temporal cluster on the same server may hold most of them ' +
        '(README, "The production topology without Docker"). Raise max_connections, give the store a PostgreSQL of its own, or lower store.poolSize.'
      : '';
  const message = `Cannot connect to PostgreSQL at ${where}: ${reason}.${hint}`;
  return err.code && UNAVAILABLE.has(err.code) ? new Unreachable(message, err) : new Error(message, { cause: err });
}

export async function openInstallationStore(options: Partial<InstallationStoreSettings> & { dataDir: string }): Promise<InstallationStoreHandle> {
  if (options.databaseUrl) {
    // A bounded wait for a connection: a PostgreSQL that does not answer is reported, not waited on forever.
    const pool = new Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? DEFAULT_POOL_SIZE, connectionTimeoutMillis: 10_000 });
    // An idle connection the server drops (restart, failover) must not crash the process:
    // the pool discards it and the next query opens a fresh one.
    pool.on('error', (err) => process.stderr.write(`signalroom: PostgreSQL connection dropped (${err.message}); reconnecting on next use\n`));
    try {
      await migrate(pool);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw storeConnectError(err as Error, options);
    }
    return { store: new PostgresInstallationStore(pool), kind: 'postgres', close: () => pool.end() };
  }
  return { store: new EmbeddedInstallationStore(path.resolve(options.dataDir, 'installations')), kind: 'file', close: async () => undefined };
}

/** Bot tokens live in these files: only the server's own user may read them. */
function restrictTree(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) restrictTree(full);
    else if (entry.isFile() && (statSync(full).mode & 0o077) !== 0) chmodSync(full, 0o600);
  }
}

/**
 * @slack/oauth's FileInstallationStore, in a 0700 folder with 0600 files,
 * plus the organization pin (`organization.json`) and one-time install links
 * (`links/<hash>`, removed when used).
 */
export class EmbeddedInstallationStore implements SignalroomInstallationStore {
  private readonly files: FileInstallationStore;
  private readonly pinFile: string;
  private readonly linksDir: string;

  constructor(private readonly baseDir: string) {
    mkdirSync(baseDir, { recursive: true, mode: 0o700 });
    this.files = new FileInstallationStore({ baseDir, clientId: 'signalroom' });
    this.pinFile = path.join(baseDir, 'organization.json');
    this.linksDir = path.join(baseDir, 'links');
    mkdirSync(this.linksDir, { recursive: true, mode: 0o700 });
    // A folder written before the pin existed: the workspace the integration has been using is the pin.
    const legacyLatest = path.join(baseDir, 'latest.json');
    if (!existsSync(this.pinFile) && existsSync(legacyLatest)) {
      const latest = JSON.parse(readFileSync(legacyLatest, 'utf8'));
      writeFileSync(this.pinFile, JSON.stringify({ installKey: installKey(latest), enterpriseId: latest.enterpriseId }), { mode: 0o600 });
    }
    restrictTree(baseDir);
  }

  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(installation: Installation<AuthVersion, boolean>): Promise<void> {
    await this.files.storeInstallation(installation);
    restrictTree(this.baseDir);
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    if (!query.teamId && !query.enterpriseId) {
      const pinned = this.readPinQuery();
      if (!pinned) throw new Error('No Slack installation yet: connect Slack with a link from `signalroom install-link`');
      return this.files.fetchInstallation({ ...queryForKey(pinned.installKey), ...(pinned.enterpriseId ? { enterpriseId: pinned.enterpriseId } : {}) });
    }
    return this.files.fetchInstallation(query);
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.files.deleteInstallation(query);
  }

  /** `enterpriseId`: the file store finds a Grid workspace's installation under its enterprise too. */
  async claimOrganization(candidate: WorkspaceKey, enterpriseId?: string): Promise<WorkspaceKey> {
    try {
      // 'wx': only the first writer creates the pin, even across processes.
      writeFileSync(this.pinFile, JSON.stringify({ installKey: candidate, enterpriseId }), { flag: 'wx', mode: 0o600 });
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return this.readPin()!;
    }
  }

  async createInstallLink(ttlMs = INSTALL_LINK_TTL_MS): Promise<InstallLink> {
    const token = newToken();
    const expiresAt = new Date(Date.now() + ttlMs);
    writeFileSync(path.join(this.linksDir, hashToken(token)), JSON.stringify({ expiresAt: expiresAt.toISOString() }), { flag: 'wx', mode: 0o600 });
    return { token, expiresAt };
  }

  async consumeInstallLink(token: string): Promise<boolean> {
    const file = path.join(this.linksDir, hashToken(token));
    let expiresAt: number;
    try {
      expiresAt = Date.parse(JSON.parse(readFileSync(file, 'utf8')).expiresAt);
      // Removing the file is the use: of two concurrent uses, only one unlink succeeds.
      unlinkSync(file);
    } catch {
      return false;
    }
    return expiresAt > Date.now();
  }

  private readPin(): WorkspaceKey | undefined {
    return this.readPinQuery()?.installKey;
  }

  private readPinQuery(): { installKey: WorkspaceKey; enterpriseId?: string } | undefined {
    if (!existsSync(this.pinFile)) return undefined;
    return JSON.parse(readFileSync(this.pinFile, 'utf8'));
  }
}
