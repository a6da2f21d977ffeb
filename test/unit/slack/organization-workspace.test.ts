/**
 * Which workspace the organization app serves (SECURITY.md, "/signalroom
 * answers the organization's workspace only"): configuration first, else
 * auth.test, asked once; an org-wide install answers its enterprise; a
 * failed lookup is asked again.
 */
import { ConfigSchema } from '../../../src/config/schema';
import { fromOrganization, IntegrationRegistry, type Integration } from '../../../src/slack/integrations';

function registryAnswering(...answers: Array<Record<string, unknown> | Error>) {
  const registry = new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: { botToken: 'xoxb-unit-test-token', signingSecret: 'unit-test-signing-secret-0123' } } }));
  const authTest = jest.fn(async () => {
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return { ok: true, ...next };
  });
  jest.spyOn(registry, 'get').mockResolvedValue({ client: { auth: { test: authTest } } } as unknown as Integration);
  return { registry, authTest };
}

test('configured teamId or enterpriseId is the answer, with no Slack call', async () => {
  const registry = new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: { teamId: 'T0ORG', signingSecret: 'unit-test-signing-secret-0123' } } }));
  const get = jest.spyOn(registry, 'get');
  expect(await registry.organizationWorkspace()).toEqual({ teamId: 'T0ORG', enterpriseId: undefined });
  expect(get).not.toHaveBeenCalled();
});

test('else auth.test of the bot token, asked once; a failure is not kept', async () => {
  const { registry, authTest } = registryAnswering(new Error('slack down'), { team_id: 'T0SANDBOX', enterprise_id: 'E0SANDBOX', is_enterprise_install: false });
  await expect(registry.organizationWorkspace()).rejects.toThrow('slack down');
  expect(await registry.organizationWorkspace()).toEqual({ teamId: 'T0SANDBOX', enterpriseId: 'E0SANDBOX' });
  expect(await registry.organizationWorkspace()).toEqual({ teamId: 'T0SANDBOX', enterpriseId: 'E0SANDBOX' });
  expect(authTest).toHaveBeenCalledTimes(2);
});

test('an org-wide install answers for its whole enterprise', async () => {
  const { registry } = registryAnswering({ team_id: 'E0GRID', enterprise_id: 'E0GRID', is_enterprise_install: true });
  const home = await registry.organizationWorkspace();
  expect(home).toEqual({ enterpriseId: 'E0GRID' });
  expect(fromOrganization(home, { teamId: 'T0ANY', enterpriseId: 'E0GRID' })).toBe(true);
  expect(fromOrganization(home, { teamId: 'T0ANY' })).toBe(false);
});

test('a workspace of the same Enterprise Grid is the organization; another workspace is not', () => {
  const home = { teamId: 'T0SANDBOX', enterpriseId: 'E0SANDBOX' };
  expect(fromOrganization(home, { teamId: 'T0SANDBOX' })).toBe(true);
  expect(fromOrganization(home, { teamId: 'T0LABS', enterpriseId: 'E0SANDBOX' })).toBe(true);
  expect(fromOrganization(home, { teamId: 'T0OUTSIDE' })).toBe(false);
  expect(fromOrganization(home, { teamId: 'T0OTHER', enterpriseId: 'E0OTHER' })).toBe(false);
  expect(fromOrganization({ teamId: 'T0SANDBOX' }, { teamId: 'T0LABS', enterpriseId: 'E0SANDBOX' })).toBe(false);
});
