/**
 * Where OAuth installations live: PostgreSQL when DATABASE_URL is set, else
 * @slack/oauth's own file store under the data folder (the embedded default).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileInstallationStore, type Installation, type InstallationQuery, type InstallationStore } from '@slack/oauth';
import { Pool } from 'pg';
import { migrate } from './migrate';

function installKey(q: { isEnterpriseInstall?: boolean; enterpriseId?: string; teamId?: string }): string {
  if (q.isEnterpriseInstall && q.enterpriseId) return `E:${q.enterpriseId}`;
  if (!q.teamId) throw new Error('An installation query needs a team id');
  return `T:${q.teamId}`;
}

export class PostgresInstallationStore implements InstallationStore {
  constructor(private readonly pool: Pool) {}

  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(installation: Installation<AuthVersion, boolean>): Promise<void> {
    const key = installKey({ isEnterpriseInstall: installation.isEnterpriseInstall, enterpriseId: installation.enterprise?.id, teamId: installation.team?.id });
    await this.pool.query(
      `INSERT INTO slack_installations (install_key, team_id, enterprise_id, is_enterprise_install, bot_user_id, scopes, installation)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (install_key) DO UPDATE SET team_id = EXCLUDED.team_id, enterprise_id = EXCLUDED.enterprise_id,
         is_enterprise_install = EXCLUDED.is_enterprise_install, bot_user_id = EXCLUDED.bot_user_id, scopes = EXCLUDED.scopes,
         installation = EXCLUDED.installation, updated_at = now()`,
      [key, installation.team?.id ?? null, installation.enterprise?.id ?? null, Boolean(installation.isEnterpriseInstall), installation.bot?.userId ?? null, installation.bot?.scopes ?? [], installation],
    );
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    const res = query.teamId || query.isEnterpriseInstall
      ? await this.pool.query('SELECT installation FROM slack_installations WHERE install_key = $1', [installKey(query)])
      : await this.pool.query('SELECT installation FROM slack_installations ORDER BY updated_at DESC LIMIT 1');
    if (res.rowCount === 0) throw new Error(`No Slack installation for ${query.teamId ?? query.enterpriseId ?? 'this organization'}`);
    return res.rows[0].installation;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.pool.query('DELETE FROM slack_installations WHERE install_key = $1', [installKey(query)]);
  }
}

export interface InstallationStoreHandle {
  store: InstallationStore;
  kind: 'postgres' | 'file';
  close(): Promise<void>;
}

export async function openInstallationStore(options: { databaseUrl?: string; dataDir: string }): Promise<InstallationStoreHandle> {
  if (options.databaseUrl) {
    const pool = new Pool({ connectionString: options.databaseUrl, max: 4 });
    // An idle connection the server drops (restart, failover) must not crash the process:
    // the pool discards it and the next query opens a fresh one.
    pool.on('error', (err) => process.stderr.write(`signalroom: PostgreSQL connection dropped (${err.message}); reconnecting on next use\n`));
    await migrate(pool);
    return { store: new PostgresInstallationStore(pool), kind: 'postgres', close: () => pool.end() };
  }
  return { store: new EmbeddedInstallationStore(path.resolve(options.dataDir, 'installations')), kind: 'file', close: async () => undefined };
}

/**
 * @slack/oauth's FileInstallationStore, remembering the latest install so the
 * organization integration finds its workspace without a configured team id.
 */
export class EmbeddedInstallationStore implements InstallationStore {
  private readonly files: FileInstallationStore;
  private readonly latestFile: string;

  constructor(private readonly baseDir: string) {
    mkdirSync(baseDir, { recursive: true });
    this.files = new FileInstallationStore({ baseDir, clientId: 'signalroom' });
    this.latestFile = path.join(baseDir, 'latest.json');
  }

  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(installation: Installation<AuthVersion, boolean>): Promise<void> {
    await this.files.storeInstallation(installation);
    writeFileSync(this.latestFile, JSON.stringify({ teamId: installation.team?.id, enterpriseId: installation.enterprise?.id, isEnterpriseInstall: Boolean(installation.isEnterpriseInstall) }));
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    if (!query.teamId && !query.enterpriseId) {
      if (!existsSync(this.latestFile)) throw new Error('No Slack installation yet: connect Slack at /slack/install');
      return this.files.fetchInstallation({ ...JSON.parse(readFileSync(this.latestFile, 'utf8')) });
    }
    return this.files.fetchInstallation(query);
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.files.deleteInstallation(query);
  }
}
