/**
 * Attack: a `ci` token that may read freezes (or only write approvals)
 * creates a freeze that stops every deploy to production, and ends the
 * Black Friday freeze a release manager set; and a token bound to no Slack
 * user writes a freeze nobody answers for.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { freezeStateQuery } from '../../../workflows/messages';
import { isolatedNamespace } from '../../support/temporal';
import { securityStack, type SecurityStack } from '../../support/security';

const OPS = 'freeze-ops-token-0123456789abcdef';
const READER = 'freeze-reader-token-0123456789ab';
const CI = 'freeze-ci-token-0123456789abcdef0';
const NOBODY = 'freeze-nobody-token-0123456789abc';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({
    namespace: await isolatedNamespace('freeze-perm'),
    apiTokens: [
      { name: 'release-ops', token: OPS, permissions: ['freezes:read', 'freezes:write'], slackUser: 'U0CAROL' },
      { name: 'reader', token: READER, permissions: ['freezes:read'], slackUser: 'U0ERIN' },
      { name: 'ci', token: CI, permissions: ['approvals:write', 'approvals:read'], slackUser: 'U0BOB' },
      { name: 'nobody', token: NOBODY, permissions: ['freezes:write'] },
    ],
  });
});
afterAll(() => s?.close());

const soon = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const request = (name: string) => ({ name, stages: ['production'], services: ['*'], from: soon(-1), until: soon(60), reason: 'Stop everything' });
const notStarted = (name: string) => expect(s.client.workflow.getHandle(`freeze:${name}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

test('creating without freezes:write is a 403 naming the permission, and starts nothing', async () => {
  for (const [token, who] of [[READER, 'reader'], [CI, 'ci']] as const) {
    const name = `sneaky-${who}-${Date.now().toString(36)}`;
    const res = await s.api('POST', '/freezes', token, request(name));
    expect(res).toEqual({ status: 403, body: { error: 'forbidden', message: `The token "${who}" lacks the permission freezes:write.` } });
    await notStarted(name);
  }
});

test('ending without freezes:write is a 403, and the freeze still holds', async () => {
  const name = `black-friday-${Date.now().toString(36)}`;
  expect((await s.api('POST', '/freezes', OPS, { ...request(name), reason: 'Black Friday' })).status).toBe(201);
  for (const token of [READER, CI]) {
    const res = await s.api('POST', `/freezes/${name}/end`, token, { reason: 'in the way' });
    expect(res.status).toBe(403);
  }
  const state = await s.client.workflow.getHandle(`freeze:${name}`).query(freezeStateQuery);
  expect(state).toMatchObject({ status: 'active', createdBy: 'U0CAROL' });
  expect(state.ended).toBeUndefined();
  // Reading is what freezes:read is for.
  expect((await s.api('GET', `/freezes/${name}`, READER)).body).toMatchObject({ status: 'active' });
  expect((await s.api('POST', `/freezes/${name}/end`, OPS, {})).status).toBe(200);
});

test('a token bound to no Slack user cannot write a freeze nobody answers for: 422, nothing started', async () => {
  const name = `anonymous-${Date.now().toString(36)}`;
  const res = await s.api('POST', '/freezes', NOBODY, request(name));
  expect(res.status).toBe(422);
  expect(res.body.message).toBe('The token "nobody" is bound to no Slack user (slackUser): a freeze is created and ended as a person, on the record.');
  await notStarted(name);
  // Naming someone else in the body is not a way round it: the body has no such field.
  const named = await s.api('POST', '/freezes', NOBODY, { ...request(name), createdBy: 'U0ALICE' });
  expect(named).toMatchObject({ status: 400, body: { message: expect.stringContaining('unknown field "createdBy"') } });
  await notStarted(name);
});
