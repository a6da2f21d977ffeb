/** `signalroom sandbox --json`: one JSON line with what an app needs, and a sandbox that answers. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import { silentLogger } from '../../support/sandbox';

test('prints its Web API URL, page URL, bot token and signing secret as one JSON line', async () => {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../../bin/signalroom.js'), 'sandbox', '--json', '--port', '0', '--request-url', 'http://127.0.0.1:9/slack/interactions'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
    });
    const info = JSON.parse(line);
    expect(info).toMatchObject({ apiUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/), pageUrl: expect.any(String), botToken: expect.stringMatching(/^xoxb-/), signingSecret: expect.any(String), requestUrl: 'http://127.0.0.1:9/slack/interactions' });
    const web = new WebClient(info.botToken, { slackApiUrl: info.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: silentLogger });
    expect((await web.auth.test()).user_id).toBe('U0SIGNALRM');
    const page = await fetch(info.pageUrl);
    expect(await page.text()).toContain('Slack sandbox');
  } finally {
    child.kill('SIGTERM');
  }
});
