import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { findApiToken } from '../../../src/server/api-auth';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parse } from 'yaml';
import { DYNAMIC_CONFIG_FILE } from '../../../src/temporal/dynamic-config';

const root = path.resolve(__dirname, '../../..');

/** `docker compose` (v2 plugin) or Debian's `docker-compose`; `config` needs no engine. */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  return ['docker-compose'];
}

interface ComposeService {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: Array<string | { source: string; target: string; read_only?: boolean }>;
  ports?: Array<string | { host_ip?: string; target: number }>;
}

/**
 * The `.env` a user writes from `.env.example`: each empty `NAME=` given a
 * value of its own (`example-NAME`), each `# NAME=…` left out, plus `extra`.
 */
function envFile(extra: Record<string, string> = {}, omit: string[] = []): string {
  const lines = readFileSync(path.join(root, '.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=')[0])
    .filter((name) => !omit.includes(name) && !(name in extra))
    .map((name) => `${name}=example-${name}`);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sr-compose-')), '.env');
  writeFileSync(file, [...lines, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)].join('\n') + '\n');
  return file;
}

/** `compose config` with that `.env` (never a developer's own) and none of this shell's variables. */
function composeConfig(file = envFile()): string {
  const [cmd, ...args] = composeCommand();
  return execFileSync(cmd, [...args, '--env-file', file, '-f', path.join(root, 'docker-compose.yml'), 'config'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The file as `compose config` resolves it (Debian's docker-compose v1 writes ports and volumes as strings, v2 as objects). */
function composeServices(file?: string): Record<string, ComposeService> {
  return parse(composeConfig(file)).services;
}

const volume = (v: string | { source: string; target: string; read_only?: boolean }) =>
  typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1], read_only: v.split(':')[2] === 'ro' } : { ...v, read_only: Boolean(v.read_only) };
/** `127.0.0.1:3000:3000/tcp` (v1) or `{ host_ip: '127.0.0.1', … }` (v2): the address a published port listens on. */
const hostIp = (p: string | { host_ip?: string }) => (typeof p === 'string' ? (p.split(':').length === 3 ? p.split(':')[0] : undefined) : p.host_ip);

describe('docker-compose.yml', () => {
  test('validates, with two workers on one task queue, the server and Temporal on PostgreSQL', () => {
    const out = composeConfig();
    expect(out).toMatch(/worker:[\s\S]*replicas: 2/);
    expect(out).not.toContain('auto-setup');
    expect(out).toContain('image: temporalio/server:1.29.1');
    expect(out).toContain('DB: postgres12');
    expect(out).toMatch(/server:[\s\S]*command:\s*\n\s*- server/);
    expect(out).toContain('healthcheck');
  });

  test('a schema job with the admin tools sets up both databases before Temporal starts', () => {
    const services = composeServices();
    const schema = services['temporal-schema'];
    expect(schema.image).toBe('temporalio/admin-tools:1.29.1');
    const script = [schema.command].flat().join('\n');
    for (const db of ['temporal', 'temporal_visibility']) {
      expect(script).toContain(`--db ${db} setup-schema -v 0.0`);
      expect(script).toContain(`--db ${db} update-schema -d /etc/temporal/schema/postgresql/v12/`);
    }
    expect(services.temporal.depends_on?.['temporal-schema'].condition).toBe('service_completed_successfully');
  });

  test('Temporal reads the same dynamic config file as signalroom cluster, with eager activity execution on', () => {
    const temporal = composeServices().temporal;
    const mount = (temporal.volumes ?? []).map(volume).find((v) => v.source.endsWith('deploy/temporal/dynamicconfig.yaml'));
    expect(mount?.target).toBe(`/etc/temporal/${temporal.environment?.DYNAMIC_CONFIG_FILE_PATH}`);
    expect(path.resolve(mount!.source)).toBe(DYNAMIC_CONFIG_FILE);
    expect(parse(readFileSync(DYNAMIC_CONFIG_FILE, 'utf8'))['system.enableActivityEagerExecution']).toEqual([{ value: true }]);
  });

  test('every published port, Temporal gRPC and the Temporal UI included, is bound to 127.0.0.1', () => {
    const published = Object.entries(composeServices()).flatMap(([name, service]) => (service.ports ?? []).map((p) => ({ name, host_ip: hostIp(p) })));
    expect(published.map((p) => p.name).sort()).toEqual(['server', 'temporal', 'temporal-ui']);
    expect(published.filter((p) => p.host_ip !== '127.0.0.1')).toEqual([]);
  });

  test('its Signalroom configuration file is valid', () => {
    const text = readFileSync(path.join(root, 'deploy/signalroom.yaml'), 'utf8');
    expect(() => parseConfig(text, 'deploy/signalroom.yaml', composeServices().server.environment ?? {})).not.toThrow();
  });
});

/**
 * What each container gets, as `docker compose up` would start it with the
 * `.env` a user writes from `.env.example` (Compose reads `.env` beside the
 * file; variables in the shell that runs it win over it).
 */
describe('docker-compose.yml with a .env written from .env.example', () => {
  const SIGNALROOM = ['setup', 'worker', 'server'];
  const mounts = (service: ComposeService) => Object.fromEntries((service.volumes ?? []).map(volume).map((v) => [v.target, v]));

  test('every secret comes from .env, and a missing one stops `compose up` naming it and .env.example', () => {
    const example = readFileSync(path.join(root, '.env.example'), 'utf8');
    const secrets = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SIGNALROOM_API_TOKEN', 'TEMPORAL_DB_PASSWORD', 'SIGNALROOM_DB_PASSWORD'];
    for (const name of secrets) {
      // Listed for the user to fill, with no value of its own in the committed file.
      expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
      const [cmd, ...args] = composeCommand();
      const r = spawnSync(cmd, [...args, '--env-file', envFile({}, [name]), '-f', path.join(root, 'docker-compose.yml'), 'config'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      expect({ name, status: r.status }).toEqual({ name, status: 1 });
      expect(r.stderr).toContain(`set ${name} in .env (see .env.example)`);
    }
    // .env holds them: neither git nor the image's build context takes it.
    expect(readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n')).toContain('.env');
    expect(readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n')).toContain('.env');
  });

  test('the Signalroom containers get the Slack secrets, the API token and their own database, from .env', () => {
    const services = composeServices();
    for (const name of SIGNALROOM) {
      expect({ name, environment: services[name].environment }).toEqual({
        name,
        environment: expect.objectContaining({
          TEMPORAL_ADDRESS: 'temporal:7233',
          SLACK_BOT_TOKEN: 'example-SLACK_BOT_TOKEN',
          SLACK_SIGNING_SECRET: 'example-SLACK_SIGNING_SECRET',
          SIGNALROOM_API_TOKEN: 'example-SIGNALROOM_API_TOKEN',
          SIGNALROOM_DATABASE_URL: 'postgres://signalroom:example-SIGNALROOM_DB_PASSWORD@postgresql:5432/signalroom',
          SIGNALROOM_CONFIG: '/config/signalroom.yaml',
        }),
      });
      expect(services[name].environment).not.toHaveProperty('DATABASE_URL');
    }
  });

  test('PostgreSQL, the schema job and Temporal share the password from .env; Signalroom’s own user gets its own', () => {
    const services = composeServices();
    expect(services.postgresql.environment).toEqual({ POSTGRES_USER: 'temporal', POSTGRES_PASSWORD: 'example-TEMPORAL_DB_PASSWORD', SIGNALROOM_DB_PASSWORD: 'example-SIGNALROOM_DB_PASSWORD' });
    expect(services['temporal-schema'].environment).toMatchObject({ SQL_USER: 'temporal', SQL_PASSWORD: 'example-TEMPORAL_DB_PASSWORD' });
    expect(services.temporal.environment).toMatchObject({ POSTGRES_USER: 'temporal', POSTGRES_PWD: 'example-TEMPORAL_DB_PASSWORD' });
    // The init script creates Signalroom's user with that password on the first start: no password is written in the repository.
    const init = mounts(services.postgresql)['/docker-entrypoint-initdb.d/signalroom.sh'];
    expect(init).toMatchObject({ source: path.join(root, 'deploy/postgres-init.sh'), read_only: true });
    const script = readFileSync(init.source, 'utf8');
    expect(script).toContain('SIGNALROOM_DB_PASSWORD');
    expect(script).not.toMatch(/PASSWORD\s+'[^:]/);
  });

  test('Temporal’s pools fit PostgreSQL’s default 100 connections beside the Signalroom containers', () => {
    const env = composeServices().temporal.environment!;
    // Each of the node's four services opens its own pools (README, "Running with Docker Compose").
    const most = 4 * (Number(env.SQL_MAX_CONNS) + Number(env.SQL_VIS_MAX_CONNS));
    expect(most).toBeLessThanOrEqual(60);
    expect(Number(env.SQL_MAX_IDLE_CONNS)).toBeLessThanOrEqual(Number(env.SQL_MAX_CONNS));
    expect(Number(env.SQL_VIS_MAX_IDLE_CONNS)).toBeLessThanOrEqual(Number(env.SQL_VIS_MAX_CONNS));
  });

  test('the configuration and the runbooks are mounted read-only from the host: your own with SIGNALROOM_CONFIG_FILE and SIGNALROOM_RUNBOOKS_DIR', () => {
    const defaults = composeServices();
    const own = composeServices(envFile({ SIGNALROOM_CONFIG_FILE: '/srv/signalroom/signalroom.yaml', SIGNALROOM_RUNBOOKS_DIR: '/srv/signalroom/runbooks' }));
    for (const name of SIGNALROOM) {
      expect(mounts(defaults[name])).toEqual({
        '/config/signalroom.yaml': { source: path.join(root, 'deploy/signalroom.yaml'), target: '/config/signalroom.yaml', read_only: true },
        '/runbooks': { source: path.join(root, 'runbooks'), target: '/runbooks', read_only: true },
      });
      expect(mounts(own[name])).toMatchObject({
        '/config/signalroom.yaml': { source: '/srv/signalroom/signalroom.yaml', read_only: true },
        '/runbooks': { source: '/srv/signalroom/runbooks', read_only: true },
      });
    }
  });

  test('with the environment Compose gives the server, its configuration accepts the API token from .env and reads the mounted runbooks', () => {
    const server = composeServices().server;
    const config = parseConfig(readFileSync(path.join(root, 'deploy/signalroom.yaml'), 'utf8'), 'deploy/signalroom.yaml', server.environment ?? {});
    const token = findApiToken(config.api.tokens, 'example-SIGNALROOM_API_TOKEN');
    expect(token?.permissions).toEqual(expect.arrayContaining(['approvals:read', 'approvals:write', 'incidents:read', 'incidents:write', 'runbooks:read', 'runbooks:run']));
    expect(config.runbooks.dirs).toEqual(['/runbooks']);
    expect(config.slack.organization).toMatchObject({ botToken: 'example-SLACK_BOT_TOKEN', signingSecret: 'example-SLACK_SIGNING_SECRET' });
  });
});

test('docker-compose.yml: each worker serves its usage metrics on the Compose network, not on the host', () => {
  const worker = composeServices().worker;
  expect(worker.command).toEqual(['worker', '--metrics-port', '9464', '--metrics-host', '0.0.0.0']);
  expect(worker.ports ?? []).toEqual([]);
});
