import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { readFileSync } from 'node:fs';
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
  volumes?: Array<string | { source: string; target: string }>;
  ports?: Array<string | { host_ip?: string; target: number }>;
}

/** The file as `compose config` resolves it (Debian's docker-compose v1 writes ports and volumes as strings, v2 as objects). */
function composeServices(): Record<string, ComposeService> {
  const [cmd, ...args] = composeCommand();
  const out = execFileSync(cmd, [...args, '-f', path.join(root, 'docker-compose.yml'), 'config'], { encoding: 'utf8', env: { ...process.env, SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '' } });
  return parse(out).services;
}

const volume = (v: string | { source: string; target: string }) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v);
/** `127.0.0.1:3000:3000/tcp` (v1) or `{ host_ip: '127.0.0.1', … }` (v2): the address a published port listens on. */
const hostIp = (p: string | { host_ip?: string }) => (typeof p === 'string' ? (p.split(':').length === 3 ? p.split(':')[0] : undefined) : p.host_ip);

describe('docker-compose.yml', () => {
  test('validates, with two workers on one task queue, the server and Temporal on PostgreSQL', () => {
    const [cmd, ...args] = composeCommand();
    const out = execFileSync(cmd, [...args, '-f', path.join(root, 'docker-compose.yml'), 'config'], { encoding: 'utf8', env: { ...process.env, SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '' } });
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
    expect(() => parseConfig(text, 'deploy/signalroom.yaml', {})).not.toThrow();
  });
});

test('docker-compose.yml: each worker serves its usage metrics on the Compose network, not on the host', () => {
  const worker = composeServices().worker;
  expect(worker.command).toEqual(['worker', '--metrics-port', '9464']);
  expect(worker.ports ?? []).toEqual([]);
});
