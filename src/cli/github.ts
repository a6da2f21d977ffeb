/**
 * `signalroom github manifest --url https://your.host`: a GitHub App
 * manifest for Signalroom's deployment protection rule, as `signalroom
 * manifest` prints the Slack app's: the webhook URL (`/github/webhooks`),
 * the permissions it needs (`deployments: write` to answer a gate,
 * `actions: read` to see the run) and the one event it acts on. With
 * `--html`, a page whose button registers the App on GitHub from it
 * (README, "Gate GitHub deployments").
 */
import type { Command } from 'commander';
import { ManifestUrlError, publicBaseUrl } from './manifest';

export const GITHUB_APP_PERMISSIONS = { deployments: 'write', actions: 'read' } as const;
export const GITHUB_APP_EVENTS = ['deployment_protection_rule'] as const;

export function githubAppManifest(publicUrl: string, options: { name?: string; public?: boolean } = {}): Record<string, unknown> {
  const base = publicBaseUrl(publicUrl, 'GitHub delivers webhooks to a public https URL');
  return {
    name: options.name ?? 'Signalroom',
    url: base.origin,
    description: 'Deployment approvals decided in Slack: M-of-N per group, no self-approval, expiry, an audit trail.',
    hook_attributes: { url: new URL('/github/webhooks', base).toString(), active: true },
    // Where GitHub sends the person back with `?code=…`, which `POST /app-manifests/{code}/conversions` turns into the App's id, key and secret.
    redirect_url: new URL('/', base).toString(),
    // Installable only on the account that owns it, unless asked: Signalroom hears only the installations it lists.
    public: options.public ?? false,
    default_permissions: { ...GITHUB_APP_PERMISSIONS },
    default_events: [...GITHUB_APP_EVENTS],
  };
}

/** A page that posts the manifest to GitHub's "Register new GitHub App" (an organization's, or the person's). */
export function githubManifestPage(manifest: Record<string, unknown>, options: { githubUrl?: string; org?: string } = {}): string {
  const githubUrl = (options.githubUrl ?? 'https://github.com').replace(/\/+$/, '');
  const action = options.org ? `${githubUrl}/organizations/${encodeURIComponent(options.org)}/settings/apps/new` : `${githubUrl}/settings/apps/new`;
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!doctype html>
<meta charset="utf-8"><title>Register ${attr(String(manifest.name))} on GitHub</title>
<form action="${attr(action)}" method="post">
  <input type="hidden" name="manifest" value="${attr(JSON.stringify(manifest))}">
  <button type="submit">Register ${attr(String(manifest.name))} on GitHub</button>
</form>
`;
}

export function registerGitHubCommands(program: Command): void {
  const github = program.command('github').description('GitHub deployment protection rules decided in Slack');
  github
    .command('manifest')
    .description("Print a GitHub App manifest (JSON): the webhook URL, permissions deployments: write and actions: read, and the deployment_protection_rule event")
    .requiredOption('--url <url>', 'public https base URL of the Signalroom server')
    .option('--name <name>', 'the App name shown on GitHub', 'Signalroom')
    .option('--public', 'let any account install the App (Signalroom still hears only the installations configured)')
    .option('--html', 'print a page whose button registers the App on GitHub from the manifest')
    .option('--org <org>', 'with --html: register the App under this organization')
    .option('--github-url <url>', 'with --html: GitHub Enterprise Server (https://HOST)', 'https://github.com')
    .action((opts: { url: string; name: string; public?: boolean; html?: boolean; org?: string; githubUrl: string }) => {
      try {
        const manifest = githubAppManifest(opts.url, { name: opts.name, public: opts.public });
        process.stdout.write(opts.html ? githubManifestPage(manifest, { githubUrl: opts.githubUrl, org: opts.org }) : `${JSON.stringify(manifest, null, 2)}\n`);
      } catch (err) {
        if (!(err instanceof ManifestUrlError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 64;
      }
    });
}
