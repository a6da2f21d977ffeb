/**
 * `signalroom doctor`: checks every Slack integration the way the source
 * document's troubleshooting list says to — token valid, scopes granted,
 * signing secret present, Request URL reachable — and prints a table.
 */
import type { SignalroomConfig } from '../config/schema';
import { slackFailure } from '../slack/errors';
import type { IntegrationRegistry } from '../slack/integrations';
import { CUSTOMIZE_SCOPE, REQUIRED_BOT_SCOPES, BOT_SCOPES } from '../slack/scopes';
import { ownEntry } from '../config/own';

export interface DoctorRow {
  integration: string;
  check: 'token' | 'scopes' | 'unneeded scopes' | 'signing secret' | 'request url';
  ok: boolean;
  detail: string;
}

export interface DoctorOptions {
  config: SignalroomConfig;
  registry: IntegrationRegistry;
  /** Public base URL whose /slack/interactions Slack calls. */
  publicUrl?: string;
  /** Signing secret fallback for the organization integration (environment). */
  organizationSigningSecret?: string;
  /** The Web API of the Slack sandbox a running `signalroom dev` stands in for Slack with: its token's scopes are the sandbox's, nobody's app to trim. */
  sandboxApiUrl?: string;
  fetch?: typeof fetch;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  for (const name of options.registry.names()) {
    const connector = name.startsWith('connector:') ? ownEntry(options.config.slack.connectors, name.slice(10)) : undefined;
    let integration;
    try {
      integration = await options.registry.get(name);
    } catch (err) {
      rows.push({ integration: name, check: 'token', ok: false, detail: (err as Error).message });
      continue;
    }
    try {
      const auth = await integration.client.auth.test();
      rows.push({ integration: name, check: 'token', ok: true, detail: `workspace ${auth.team} (${auth.team_id}) as @${auth.user}` });
      const granted = new Set(auth.response_metadata?.scopes ?? []);
      const wanted = [...new Set([...REQUIRED_BOT_SCOPES, ...Object.keys(BOT_SCOPES).filter((s) => s !== 'commands'), ...(connector?.bot ? [CUSTOMIZE_SCOPE] : [])])];
      const missing = wanted.filter((s) => !granted.has(s));
      const missingRequired = missing.filter((s) => REQUIRED_BOT_SCOPES.includes(s));
      rows.push({
        integration: name,
        check: 'scopes',
        ok: missing.length === 0,
        detail:
          missing.length === 0
            ? `all ${wanted.length} scopes granted`
            : `missing ${missing.join(', ')}${missingRequired.length ? ` (required: ${missingRequired.join(', ')})` : ''}: add them to the app's bot scopes and reinstall`,
      });
      // Least privilege: what the token may do that Signalroom never asks of it. A finding, not a failure.
      const needed = new Set([...wanted, 'commands']);
      const unneeded = [...granted].filter((s) => !needed.has(s)).sort();
      const sandbox = options.sandboxApiUrl !== undefined && integration.apiUrl === options.sandboxApiUrl;
      rows.push({
        integration: name,
        check: 'unneeded scopes',
        ok: true,
        detail: sandbox
          ? "not checked: the local Slack sandbox of signalroom dev, whose token carries the sandbox's own scopes (no app to change)"
          : unneeded.length
            ? `granted but not needed: ${unneeded.join(', ')}: remove them from the app's bot scopes and reinstall`
            : 'none: the token has only the scopes Signalroom uses',
      });
    } catch (err) {
      // Doctor asks once: the activities' wording ("…; retrying") would promise a retry that never comes.
      rows.push({ integration: name, check: 'token', ok: false, detail: slackFailure(err, { method: 'auth.test', integration: name }).message.replace(/; retrying$/, '') });
    }
    const secret = connector ? connector.signingSecret ?? options.config.slack.organization?.signingSecret : options.config.slack.organization?.signingSecret ?? options.organizationSigningSecret;
    rows.push({
      integration: name,
      check: 'signing secret',
      ok: Boolean(secret),
      detail: secret ? 'present' : 'missing: set signingSecret (Basic Information → App Credentials) so clicks can be verified',
    });
  }
  if (options.publicUrl) {
    const url = new URL('/slack/interactions', options.publicUrl).toString();
    try {
      // Slack's own reachability probe: an ssl_check POST must be answered 200.
      const res = await (options.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'ssl_check=1&token=doctor',
        signal: AbortSignal.timeout(5000),
      });
      rows.push({ integration: '(server)', check: 'request url', ok: res.status === 200, detail: `${url} answered HTTP ${res.status}` });
    } catch (err) {
      rows.push({ integration: '(server)', check: 'request url', ok: false, detail: `${url} is not reachable: ${(err as Error).message}` });
    }
  }
  return rows;
}

export function formatDoctorTable(rows: DoctorRow[]): string {
  const header = ['INTEGRATION', 'CHECK', 'STATUS', 'DETAIL'];
  const body = rows.map((r) => [r.integration, r.check, r.ok ? 'ok' : 'PROBLEM', r.detail]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}
