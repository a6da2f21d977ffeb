/**
 * Slack's documented interaction payloads (test/fixtures/slack-payloads, every
 * field as Slack documents it) through /slack/interactions on the real stack:
 * server, worker, dev server and sandbox. Only the ids are pointed at a live
 * approval (team, channel, card, workflow id, response URL); the shapes — an
 * ephemeral container with no `message`, an Enterprise Grid click from a `W…`
 * user of another workspace, an org-wide install with `team: null`, a modal
 * submission — are Slack's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { signRequest } from '../../../src/sandbox';
import { APPROVE_ACTION, REJECT_WITH_REASON_ACTION } from '../../../core/slack/blocks/approval-card';
import type { approval } from '../../../workflows/approval/workflow';
import { approvalStateQuery } from '../../../workflows/messages';
import { approvalStack, buttons, card, CHANNEL, eventually, uniqueExecution, visibleText, type ApprovalStack } from '../../support/approvals';

/** An Enterprise Grid person: a W… id, approver through the configuration. */
const GRID_USER = 'W012A3CDE';
let clicks = 0;
let stack: ApprovalStack;

beforeAll(async () => {
  stack = await approvalStack({ approverGroups: { grid: { users: [GRID_USER] } } });
});
afterAll(() => stack?.close());

type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const fixture = (name: string): Payload => JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/slack-payloads', `${name}.json`), 'utf8')) as Payload;

async function post(payload: Payload): Promise<Response> {
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = Math.floor(Date.now() / 1000);
  return fetch(`${stack.serverUrl}/slack/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signRequest(stack.sandbox.signingSecret, ts, body) },
    body,
  });
}

async function pendingApproval(groups: string[], extra: { rejectionNeedsReason?: boolean } = {}): Promise<{ handle: WorkflowHandle<typeof approval>; execution: string }> {
  const execution = uniqueExecution('payload');
  const handle = await requestApproval(
    stack.client,
    normalizeApprovalRequest({ pipeline: 'api', stage: 'production', execution, approverGroups: groups, destination: { channel: CHANNEL }, timeout: '5m', ...extra }),
    stack.worker.taskQueue,
  );
  await eventually('the card', () => card(stack.sandbox, execution));
  return { handle, execution };
}

/** Points a documented block_actions payload at the card of `execution`, clicked by `userId`. */
function clickOnCard(p: Payload, execution: string, userId: string, actionId = APPROVE_ACTION): Payload {
  const c = card(stack.sandbox, execution)!;
  const button = buttons(c).find((b) => b.actionId === actionId)!;
  const actions = (c.blocks as Array<{ type: string; block_id: string }>).find((b) => b.type === 'actions')!;
  const team = stack.sandbox.defaultTeamId;
  if (p.team) p.team.id = team;
  p.user.id = userId;
  // Enterprise Grid: the clicker's home workspace stays another one than the team clicked in.
  if (!p.enterprise) p.user.team_id = team;
  p.api_app_id = 'A0SANDBOX';
  p.channel = { id: CHANNEL, name: 'deploys' };
  p.container = { ...p.container, channel_id: CHANNEL, ...(p.container.is_ephemeral ? {} : { message_ts: c.ts }) };
  if (p.message) Object.assign(p.message, { ts: c.ts, text: c.text, blocks: c.blocks, team });
  p.response_url = `${stack.sandbox.url}/actions/${team}/0/fixture`;
  // Each click has its own action_ts (the server tells Slack's retries of one click by it).
  p.actions = [{ ...p.actions[0], action_ts: `${Math.floor(Date.now() / 1000)}.${String(++clicks).padStart(6, '0')}`, action_id: actionId, block_id: actions.block_id, value: button.value, text: { type: 'plain_text', text: button.text, emoji: true } }];
  return p;
}

test('block_actions from a message: the approver\'s click decides, the card is final', async () => {
  const { handle, execution } = await pendingApproval(['release']);
  const res = await post(clickOnCard(fixture('block-actions-message'), execution, 'U0CAROL'));
  expect(res.status).toBe(200);
  expect(await handle.result()).toMatchObject({ status: 'approved', decisions: [expect.objectContaining({ user: expect.objectContaining({ id: 'U0CAROL' }), via: 'slack' })] });
  const final = card(stack.sandbox, execution)!;
  expect(visibleText(final)).toContain('Approved by <@U0CAROL>');
  expect(buttons(final)).toEqual([]);
});

test('block_actions from an ephemeral message (no `message` in the payload): acknowledged, never an error', async () => {
  const { handle, execution } = await pendingApproval(['release']);
  const payload = clickOnCard(fixture('block-actions-ephemeral'), execution, 'U0CAROL');
  expect(payload.message).toBeUndefined();
  expect(payload.container).toMatchObject({ is_ephemeral: true });
  const res = await post(payload);
  expect(res.status).toBe(200);
  // The server is still answering, and the approval still runs.
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await handle.terminate('test finished');
});

test('Enterprise Grid: a W… user from another workspace of the org (user.team_id ≠ team.id) decides as themselves', async () => {
  const { handle, execution } = await pendingApproval(['grid']);
  const payload = clickOnCard(fixture('block-actions-enterprise-grid'), execution, GRID_USER);
  expect(payload.enterprise).toMatchObject({ id: 'E0GRID01' });
  expect(payload.user.team_id).not.toBe(payload.team.id);
  expect((await post(payload)).status).toBe(200);
  expect(await handle.result()).toMatchObject({ status: 'approved', decisions: [expect.objectContaining({ user: expect.objectContaining({ id: GRID_USER }) })] });
  expect(visibleText(card(stack.sandbox, execution)!)).toContain(`Approved by <@${GRID_USER}>`);
});

test('an org-wide install (team: null, is_enterprise_install: true): the click decides', async () => {
  const { handle, execution } = await pendingApproval(['grid']);
  const payload = clickOnCard(fixture('block-actions-org-wide-install'), execution, GRID_USER);
  expect(payload.team).toBeNull();
  expect(payload.is_enterprise_install).toBe(true);
  expect((await post(payload)).status).toBe(200);
  expect(await handle.result()).toMatchObject({ status: 'approved', decisions: [expect.objectContaining({ user: expect.objectContaining({ id: GRID_USER }) })] });
});

test('view_submission: the reason typed into the server\'s modal rejects, and shows on the card', async () => {
  const { handle, execution } = await pendingApproval(['release'], { rejectionNeedsReason: true });
  // The server opens its modal on the Reject… click; the submission is Slack's documented one for that modal.
  const c = card(stack.sandbox, execution)!;
  const click = await stack.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: c.ts, actionId: REJECT_WITH_REASON_ACTION });
  expect(click.response.status).toBe(200);
  const view = await eventually('the modal', () => stack.sandbox.openView('U0CAROL'));
  const input = (view.blocks as Array<{ type: string; block_id: string; element?: { action_id: string; type: string } }>).find((b) => b.type === 'input' && b.element?.type === 'plain_text_input')!;
  const reason = 'Does not fit the rollout window';

  const payload = fixture('view-submission');
  payload.team.id = stack.sandbox.defaultTeamId;
  Object.assign(payload.user, { id: 'U0CAROL', username: 'carol', name: 'carol', team_id: stack.sandbox.defaultTeamId });
  payload.api_app_id = 'A0SANDBOX';
  Object.assign(payload.view, {
    id: view.id,
    team_id: stack.sandbox.defaultTeamId,
    blocks: view.blocks,
    callback_id: view.callbackId,
    private_metadata: view.privateMetadata,
    app_installed_team_id: stack.sandbox.defaultTeamId,
    state: { values: { [input.block_id]: { [input.element!.action_id]: { type: 'plain_text_input', value: reason } } } },
  });
  const res = await post(payload);
  expect(res.status).toBe(200);
  expect(await handle.result()).toMatchObject({ status: 'rejected', decisions: [expect.objectContaining({ verb: 'reject', reason, user: expect.objectContaining({ id: 'U0CAROL' }) })] });
  await eventually('the reason on the card', () => visibleText(card(stack.sandbox, execution)!).includes(reason));
  expect((await handle.query(approvalStateQuery)).status).toBe('rejected');
});
