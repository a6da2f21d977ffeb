/**
 * `signalroom sandbox`: the Slack sandbox alone, until Ctrl-C. Prints what an
 * app needs to talk to it: the Web API URL, the page, a bot token with
 * Signalroom's scopes and the signing secret (`--json`: one JSON line).
 */
import { startSandbox, SIGNALROOM_BOT_SCOPES } from '../sandbox';

export interface SandboxCommandOptions {
  port?: number;
  host?: string;
  json?: boolean;
  requestUrl?: string;
  signingSecret?: string;
  botToken?: string;
  rateLimits?: boolean;
}

export async function runSandboxCommand(options: SandboxCommandOptions): Promise<void> {
  const sandbox = await startSandbox({
    port: options.port ?? 0,
    host: options.host,
    requestUrl: options.requestUrl,
    signingSecret: options.signingSecret ?? process.env.SLACK_SIGNING_SECRET,
    botToken: options.botToken,
    rateLimits: options.rateLimits ?? true,
  });
  const info = {
    apiUrl: sandbox.apiUrl,
    pageUrl: sandbox.pageUrl,
    botToken: sandbox.botToken,
    signingSecret: sandbox.signingSecret,
    teamId: sandbox.defaultTeamId,
    botUserId: sandbox.botUserId,
    scopes: SIGNALROOM_BOT_SCOPES,
    requestUrl: sandbox.requestUrl ?? null,
    oauth: { authorizeUrl: `${sandbox.url}/oauth/v2/authorize`, clientId: sandbox.oauthApp.clientId, clientSecret: sandbox.oauthApp.clientSecret },
  };
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (options.json) say(JSON.stringify(info));
  else {
    say('The Slack sandbox is running (nothing reaches slack.com).');
    say(`  Web API         ${info.apiUrl}    (SLACK_API_URL)`);
    say(`  Page            ${info.pageUrl}`);
    say(`  Bot token       ${info.botToken}    (SLACK_BOT_TOKEN)`);
    say(`  Signing secret  ${info.signingSecret}    (SLACK_SIGNING_SECRET)`);
    say(`  Workspace       ${info.teamId}, bot user ${info.botUserId}`);
    say(`  Request URL     ${info.requestUrl ?? '(none: clicks reach no app; pass --request-url)'}`);
    say(`  OAuth           client id ${info.oauth.clientId}, secret ${info.oauth.clientSecret}`);
    say('Press Ctrl-C to stop.');
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sandbox.close();
}
