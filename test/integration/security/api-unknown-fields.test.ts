/**
 * Attack (or a typo that weakens a gate): `{"minApproval": 2, "timout":
 * "5m"}` was answered 201, with one approval needed and the default hour:
 * unknown fields were dropped in silence. Every API body now refuses a field
 * it does not know, with 400 naming it and the field it was probably meant
 * to be, and starts nothing; the OpenAPI document says so for every body.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { approvalWorkflowId } from '../../../src/approvals/client';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';
import { card } from '../../support/approvals';

const TOKEN = 'unknown-fields-token-0123456789ab';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ apiTokens: [{ name: 'ci', token: TOKEN, permissions: ['*'], slackUser: 'U0ALICE' }] });
});
afterAll(() => s?.close());

test('a misspelt minimum and timeout are refused (400 naming the field, with did you mean), and nothing starts', async () => {
  const execution = `typo-${Date.now().toString(36)}`;
  const res = await s.api('POST', '/approvals', TOKEN, { pipeline: 'web', stage: 'prod', execution, approverGroups: ['sre'], channel: CHANNEL, minApproval: 2, timout: '5m' });
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'invalid_request', field: 'body.minApproval' });
  expect(res.body.message).toContain('unknown field "minApproval" (did you mean "minApprovals"?)');
  expect(res.body.message).toContain('unknown field "timout" (did you mean "timeout"?)');
  await expect(s.client.workflow.getHandle(approvalWorkflowId({ pipeline: 'web', stage: 'prod', execution })).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
});

test('nested bodies and the other routes refuse unknown fields too', async () => {
  const execution = `nested-${Date.now().toString(36)}`;
  const nested = await s.api('POST', '/approvals', TOKEN, { pipeline: 'web', stage: 'prod', execution, approverGroups: ['sre'], channel: CHANNEL, escalation: { after: '5m', approverGroups: ['release'], aprovers: ['x'] } });
  expect(nested).toMatchObject({ status: 400, body: { field: 'body.escalation.aprovers' } });

  const ok = await s.api('POST', '/approvals', TOKEN, { pipeline: 'web', stage: 'prod', execution, approverGroups: ['release'], channel: CHANNEL, timeout: '10m' });
  expect(ok.status).toBe(201);
  await eventually('the card', () => card(s.sandbox, execution));
  const id = encodeURIComponent(String(ok.body.id));
  const decision = await s.api('POST', `/approvals/${id}/decisions`, TOKEN, { verb: 'reject', reasn: 'typo' });
  expect(decision).toMatchObject({ status: 400, body: { field: 'body.reasn', message: expect.stringContaining('did you mean "reason"?') } });
  const cancel = await s.api('POST', `/approvals/${id}/cancel`, TOKEN, { reason: 'x', by: 'U0ALICE', force: true });
  expect(cancel).toMatchObject({ status: 400, body: { field: 'body.force' } });
  const view = await s.api('GET', `/approvals/${id}`, TOKEN);
  expect(view.body).toMatchObject({ status: 'pending', decisions: [] });

  const validate = await s.api('POST', '/runbooks/validate', TOKEN, { content: 'steps: []', filename: 'x.yaml' });
  expect(validate).toMatchObject({ status: 400, body: { field: 'body.filename', message: expect.stringContaining('did you mean "fileName"?') } });
});

test('the OpenAPI document refuses unknown fields in every request body', async () => {
  const res = await fetch(`${s.serverUrl}/api/v1/openapi.json`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> };
  const open: string[] = [];
  const walk = (schema: unknown, where: string): void => {
    if (!schema || typeof schema !== 'object') return;
    const o = schema as Record<string, unknown>;
    if (o.type === 'object' && o.properties && o.additionalProperties !== false) open.push(where);
    for (const [key, value] of Object.entries(o)) {
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}.${key}[${i}]`));
      else if (value && typeof value === 'object') walk(value, key === 'properties' ? where : `${where}.${key}`);
    }
  };
  for (const [route, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      for (const media of Object.values(operation.requestBody?.content ?? {})) walk(media.schema, `${method.toUpperCase()} ${route}`);
    }
  }
  expect(open).toEqual([]);
});
