/**
 * A GitHub App for tests: a fresh RSA key pair (as GitHub generates one for
 * an App: 2048 bits, the private key in PKCS#1 PEM), an App id, a webhook
 * secret and its installations, ready for `startGitHubStandIn({ apps: [fixture.app] })`
 * on one side and for Signalroom's configuration on the other.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { StandInAppSpec, StandInInstallationSpec } from './state';

export interface GitHubAppFixture {
  appId: number;
  /** PEM, `-----BEGIN RSA PRIVATE KEY-----`, as GitHub's "Generate a private key" downloads it. */
  privateKey: string;
  /** PEM (SPKI): what the stand-in verifies the App's JWTs with. */
  publicKey: string;
  webhookSecret: string;
  installations: StandInInstallationSpec[];
  /** What the stand-in takes (`apps: [fixture.app]`). */
  app: StandInAppSpec;
}

export interface GitHubAppFixtureOptions {
  /** @default a random id from 100000 */
  appId?: number;
  /** @default 'signalroom' */
  slug?: string;
  /** @default a random one */
  webhookSecret?: string;
  /** @default one installation (id 1000 + …) on `octo-org/web` */
  installations?: StandInInstallationSpec[];
  /** Where deliveries go (settable later with `setWebhookUrl`). */
  webhookUrl?: string;
  permissions?: Record<string, 'read' | 'write'>;
}

let nextAppId = 100_000 + Math.floor(Math.random() * 800_000);

export function createGitHubAppFixture(o: GitHubAppFixtureOptions = {}): GitHubAppFixture {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const appId = o.appId ?? nextAppId++;
  const webhookSecret = o.webhookSecret ?? randomBytes(20).toString('hex');
  const installations = o.installations ?? [{ id: appId * 10 + 1, repositories: ['octo-org/web'] }];
  return {
    appId,
    privateKey,
    publicKey,
    webhookSecret,
    installations,
    app: { appId, slug: o.slug, publicKey, webhookSecret, webhookUrl: o.webhookUrl, installations, permissions: o.permissions },
  };
}
