/**
 * `signalroom manifest --url https://your.host`: a Slack app manifest ready to
 * paste into https://api.slack.com/apps → Create New App → From a manifest.
 */
import { stringify } from 'yaml';
import { BOT_SCOPES } from '../slack/scopes';

/** A `--url` Slack cannot use: bad usage (exit 64), not an internal error. */
export class ManifestUrlError extends Error {}

/** The server's public URL as a manifest needs it: https (plain http on this machine only); `httpsNeeded` says who requires it. */
export function publicBaseUrl(publicUrl: string, httpsNeeded: string): URL {
  let base: URL;
  try {
    base = new URL(publicUrl);
  } catch {
    throw new ManifestUrlError(`--url must be the server's public https URL, like https://signalroom.example.com; got "${publicUrl}"`);
  }
  if (base.protocol !== 'https:' && base.hostname !== 'localhost' && base.hostname !== '127.0.0.1') {
    throw new ManifestUrlError(`${httpsNeeded}; got ${publicUrl}`);
  }
  return base;
}

export function appManifest(publicUrl: string, name = 'Signalroom'): Record<string, unknown> {
  const base = publicBaseUrl(publicUrl, 'Slack requires an https Request URL');
  const at = (p: string) => new URL(p, base).toString();
  return {
    display_information: { name, description: 'Incident runbooks and deployment approvals', background_color: '#1d1c1d' },
    features: {
      bot_user: { display_name: name, always_online: true },
      slash_commands: [{ command: '/signalroom', url: at('/slack/commands'), description: 'Pending approvals and incidents', usage_hint: 'approvals | incident status ID', should_escape: false }],
    },
    oauth_config: { redirect_urls: [at('/slack/oauth_redirect')], scopes: { bot: Object.keys(BOT_SCOPES) } },
    settings: {
      interactivity: { is_enabled: true, request_url: at('/slack/interactions') },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    },
  };
}

export function renderManifest(publicUrl: string, name?: string): string {
  return stringify(appManifest(publicUrl, name));
}
