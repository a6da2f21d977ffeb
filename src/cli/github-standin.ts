/**
 * `signalroom github-standin`: the GitHub stand-in alone, until Ctrl-C, with
 * one GitHub App installed on the given repositories. Prints what Signalroom
 * needs to be that App (`--json`: one JSON line): the API URL, the App id, the
 * private key's file and the webhook secret. With `--private-key` and
 * `--webhook-secret` the App stays the same across restarts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPublicKey } from 'node:crypto';
import { createGitHubAppFixture, startGitHubStandIn } from '../github-standin';

export interface GitHubStandInCommandOptions {
  port?: number;
  host?: string;
  json?: boolean;
  webhookUrl?: string;
  repo?: string[];
  appId?: number;
  installationId?: number;
  /** A PEM file: the App's private key, kept across restarts. @default a new key, written to a private temporary file */
  privateKey?: string;
  webhookSecret?: string;
}

export async function runGitHubStandInCommand(o: GitHubStandInCommandOptions): Promise<void> {
  const repositories = o.repo?.length ? o.repo : ['octo-org/web'];
  const appId = o.appId ?? 1001;
  const installations = [{ id: o.installationId ?? 2001, repositories }];
  const fixture = createGitHubAppFixture({ appId, installations, webhookSecret: o.webhookSecret ?? process.env.GITHUB_WEBHOOK_SECRET });
  let privateKeyFile = o.privateKey;
  let publicKey = fixture.publicKey;
  // A key made here lives as long as the stand-in: a private folder, removed on stop.
  let keyDir: string | undefined;
  if (privateKeyFile) publicKey = createPublicKey(readFileSync(privateKeyFile, 'utf8')).export({ type: 'spki', format: 'pem' }).toString();
  else {
    keyDir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-github-app-'));
    privateKeyFile = path.join(keyDir, 'private-key.pem');
    writeFileSync(privateKeyFile, fixture.privateKey, { mode: 0o600 });
  }
  const github = await startGitHubStandIn({ port: o.port ?? 0, host: o.host, apps: [{ ...fixture.app, publicKey, webhookUrl: o.webhookUrl }] });
  const info = {
    apiUrl: github.apiUrl,
    pageUrl: github.pageUrl,
    appId,
    installationId: installations[0]!.id,
    repositories,
    privateKeyFile,
    webhookSecret: fixture.webhookSecret,
    webhookUrl: o.webhookUrl ?? null,
    descriptions: github.descriptionVersions,
  };
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (o.json) say(JSON.stringify(info));
  else {
    say('The GitHub stand-in is running (nothing reaches github.com).');
    say(`  API             ${info.apiUrl}`);
    say(`  Page            ${info.pageUrl}    (fire a deployment review, see runs and reviews)`);
    say(`  App id          ${info.appId}, installation ${info.installationId} on ${repositories.join(', ')}`);
    say(`  Private key     ${info.privateKeyFile}`);
    say(`  Webhook secret  ${info.webhookSecret}`);
    say(`  Webhook URL     ${info.webhookUrl ?? '(none: deliveries reach no app; pass --webhook-url)'}`);
    say(`  Built from      GitHub's REST description ${info.descriptions.rest}, webhooks description ${info.descriptions.webhooks}`);
    say('Press Ctrl-C to stop.');
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await github.close();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
}
