import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { readFileSync } from 'node:fs';

const root = path.resolve(__dirname, '../..');

/** `docker compose` (v2 plugin) or Debian's `docker-compose`; `config` needs no engine. */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  return ['docker-compose'];
}

describe('docker-compose.yml', () => {
  test('validates, with two workers on one task queue, the server and Temporal on PostgreSQL', () => {
    const [cmd, ...args] = composeCommand();
    const out = execFileSync(cmd, [...args, '-f', path.join(root, 'docker-compose.yml'), 'config'], { encoding: 'utf8', env: { ...process.env, SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '' } });
    expect(out).toMatch(/worker:[\s\S]*replicas: 2/);
    expect(out).toContain('image: temporalio/auto-setup');
    expect(out).toContain('DB: postgres12');
    expect(out).toMatch(/server:[\s\S]*command:\s*\n\s*- server/);
    expect(out).toContain('healthcheck');
  });

  test('its Signalroom configuration file is valid', () => {
    const text = readFileSync(path.join(root, 'deploy/signalroom.yaml'), 'utf8');
    expect(() => parseConfig(text, 'deploy/signalroom.yaml', {})).not.toThrow();
  });
});
