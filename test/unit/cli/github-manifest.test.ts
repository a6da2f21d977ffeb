/**
 * `signalroom github manifest`: the GitHub App manifest for the deployment
 * protection rule, as GitHub's manifest flow takes it, and the exit codes a
 * script sees.
 */
import { githubAppManifest, githubManifestPage } from '../../../src/cli/github';
import { main } from '../../../src/cli/main';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    process.exitCode = undefined;
    const code = await main(['node', 'signalroom', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
  }
}

test('the manifest asks for deployments: write, actions: read and the deployment_protection_rule event, delivered to /github/webhooks', async () => {
  const { code, stdout } = await run(['github', 'manifest', '--url', 'https://signalroom.example.com/']);
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({
    name: 'Signalroom',
    url: 'https://signalroom.example.com',
    description: expect.any(String),
    hook_attributes: { url: 'https://signalroom.example.com/github/webhooks', active: true },
    redirect_url: 'https://signalroom.example.com/',
    public: false,
    default_permissions: { deployments: 'write', actions: 'read' },
    default_events: ['deployment_protection_rule'],
  });
});

test('a URL GitHub cannot deliver to exits 64, saying why', async () => {
  expect(await run(['github', 'manifest', '--url', 'http://signalroom.example.com'])).toEqual({ code: 64, stdout: '', stderr: 'GitHub delivers webhooks to a public https URL; got http://signalroom.example.com\n' });
  expect((await run(['github', 'manifest', '--url', 'not a url'])).code).toBe(64);
});

test("--html: a form that posts the manifest to the organization's Register new GitHub App, every value escaped", () => {
  const page = githubManifestPage(githubAppManifest('https://s.example.com', { name: 'Sig "<room>"' }), { org: 'octo-org', githubUrl: 'https://ghe.example.com/' });
  expect(page).toContain('<form action="https://ghe.example.com/organizations/octo-org/settings/apps/new" method="post">');
  expect(page).not.toMatch(/<room>/);
  const value = /name="manifest" value="([^"]*)"/.exec(page)![1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  expect(JSON.parse(value)).toMatchObject({ name: 'Sig "<room>"', default_events: ['deployment_protection_rule'] });
});
