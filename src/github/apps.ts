/**
 * The GitHub Apps of the configuration (`github.apps`), looked up as GitHub
 * names things: an App by its id, a repository and an environment by name
 * without regard to case (GitHub treats `Octo-Org/Web` and `octo-org/web`,
 * `Production` and `production` as one), a person by login. Names are looked
 * up as names, never as members every object inherits (SECURITY.md).
 */
import { readFileSync } from 'node:fs';
import type { GitHubAppConfig, GitHubConfig, GitHubGatePolicy } from '../config/schema';

export interface NamedGitHubApp {
  name: string;
  app: GitHubAppConfig;
}

/** The configured App with this id, if any. */
export function appById(config: GitHubConfig, appId: number): NamedGitHubApp | undefined {
  for (const [name, app] of Object.entries(config.apps)) if (app.appId === appId) return { name, app };
  return undefined;
}

/** The configured App by its name in configuration. */
export function appByName(config: GitHubConfig, name: string): GitHubAppConfig | undefined {
  return Object.hasOwn(config.apps, name) ? config.apps[name] : undefined;
}

function byName<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(record)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** What gates a deployment of `repository` to `environment`: its policy, or why nothing does. */
export function gatePolicy(named: NamedGitHubApp, repository: string, environment: string): { policy: GitHubGatePolicy } | { why: string } {
  const environments = byName(named.app.repositories, repository);
  if (!environments) return { why: `${repository} is not under github.apps.${named.name}.repositories: nothing was started` };
  const policy = byName(environments, environment);
  if (!policy) return { why: `the environment "${environment}" of ${repository} is not under github.apps.${named.name}.repositories.${repository}: nothing was started` };
  return { policy };
}

/** The Slack user (an id or an email) a GitHub login is mapped to, if it is. */
export function slackUserOf(config: GitHubConfig, login: string): string | undefined {
  return byName(config.users, login);
}

/**
 * The App's private key: the PEM itself (given through a variable), or the
 * file it is in. Read where it is used (the worker), never carried further.
 */
export function privateKeyOf(app: GitHubAppConfig): string {
  const value = app.privateKey.trim();
  if (value.startsWith('-----BEGIN')) return value.replace(/\\n/g, '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new Error(`the GitHub App ${app.appId}'s privateKey is neither a PEM nor a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
