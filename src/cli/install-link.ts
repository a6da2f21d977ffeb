/**
 * `signalroom install-link`: prints a one-time "Connect Slack" link. Starting
 * the organization integration's OAuth install needs one, so a stranger who
 * finds the server cannot install their own workspace in its place. The link
 * is recorded (hashed) in the same installation store the server reads: the
 * installation store's PostgreSQL (README, "Environment"), else the data folder.
 */
import { createRuntime } from '../runtime';
import { INSTALL_LINK_TTL_MS } from '../store/installations';
import { installLinkUrl } from '../server/slack-oauth';
import { publicUrlOf } from './server';

export interface InstallLinkOptions {
  /** Minutes the link stays valid. @default 15 */
  ttlMinutes?: number;
  json?: boolean;
}

export async function runInstallLinkCommand(options: InstallLinkOptions = {}): Promise<number> {
  const runtime = await createRuntime();
  try {
    const ttlMs = options.ttlMinutes ? options.ttlMinutes * 60_000 : INSTALL_LINK_TTL_MS;
    const link = await runtime.installations.store.createInstallLink(ttlMs);
    const url = installLinkUrl(publicUrlOf(runtime), link.token);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ url, expiresAt: link.expiresAt.toISOString() })}\n`);
    } else {
      process.stdout.write(`${url}\n`);
      process.stderr.write(`Open it once, before ${link.expiresAt.toISOString()}, to connect Slack (${runtime.installations.kind} store).\n`);
    }
    return 0;
  } finally {
    await runtime.close();
  }
}
