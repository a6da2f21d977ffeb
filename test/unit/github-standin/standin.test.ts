/**
 * The GitHub stand-in against GitHub's published descriptions: the App's JWT,
 * installation tokens and their use on the review endpoint, bodies refused by
 * the published schema, faults, and deliveries signed as GitHub signs them
 * whose payload conforms to the published webhook schema. Only HTTP servers
 * on 127.0.0.1: no Temporal.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import {
  createGitHubAppFixture,
  JWT_MESSAGES,
  publishedWebhookExamples,
  signAppJwt,
  startGitHubStandIn,
  type GitHubAppFixture,
  type GitHubStandIn,
} from '../../../src/github-standin';

const REVIEW = 'actions/review-custom-gates-for-run';

/** A webhook receiver: what GitHub's deliveries carry, as the App's server sees them. */
interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function startReceiver(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/github/webhooks`, received, close: () => new Promise((r) => server.close(() => r())) };
}

let app: GitHubAppFixture;
let other: GitHubAppFixture;
let github: GitHubStandIn;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  app = createGitHubAppFixture({ installations: [{ id: 4201, repositories: ['octo-org/web', 'octo-org/api'] }] });
  other = createGitHubAppFixture({ installations: [{ id: 4301, repositories: ['other-org/site'] }] });
  receiver = await startReceiver();
  github = await startGitHubStandIn({ apps: [app.app, other.app] });
  github.setWebhookUrl(receiver.url);
});

afterAll(async () => {
  await github?.close();
  await receiver?.close();
});

beforeEach(() => {
  github.reset();
  receiver.received.length = 0;
});

afterEach(() => {
  // Every answer the stand-in gave conforms to GitHub's published response schema.
  expect(github.violations()).toEqual([]);
});

const jwtFor = (f: GitHubAppFixture, o: { iat?: number; exp?: number } = {}) => signAppJwt({ appId: f.appId, privateKey: f.privateKey, ...o });

async function call(method: string, path: string, credentials?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
  if (credentials) headers.authorization = `Bearer ${credentials}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${github.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function installationToken(f: GitHubAppFixture = app, installationId = f.installations[0]!.id): Promise<string> {
  const res = await call('POST', `/app/installations/${installationId}/access_tokens`, jwtFor(f));
  expect(res.status).toBe(201);
  return res.body!.token as string;
}

const reviewPath = (repo: string, runId: number) => `/repos/${repo}/actions/runs/${runId}/deployment_protection_rule`;

describe("the App's JWT", () => {
  it('a JWT signed with the App key, iss its id, within ten minutes: GET /app answers the App', async () => {
    const res = await call('GET', '/app', jwtFor(app));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: app.appId, slug: 'signalroom', events: ['deployment_protection_rule'], permissions: { deployments: 'write', actions: 'read' } });
  });

  it('a JWT signed with another key is refused with 401', async () => {
    const res = await call('GET', '/app', signAppJwt({ appId: app.appId, privateKey: other.privateKey }));
    expect(res).toMatchObject({ status: 401, body: { message: JWT_MESSAGES.undecodable } });
    const token = await call('POST', `/app/installations/${app.installations[0]!.id}/access_tokens`, signAppJwt({ appId: app.appId, privateKey: other.privateKey }));
    expect(token.status).toBe(401);
    expect(github.calls('apps/create-installation-access-token').map((c) => c.status)).toEqual([401]);
  });

  it('an expired JWT is refused with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await call('GET', '/app', jwtFor(app, { iat: now - 700, exp: now - 100 }));
    expect(res).toMatchObject({ status: 401, body: { message: JWT_MESSAGES.exp } });
  });

  it('a JWT living longer than ten minutes, or issued in the future, is refused with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await call('GET', '/app', jwtFor(app, { iat: now - 10, exp: now + 900 }))).toMatchObject({ status: 401, body: { message: JWT_MESSAGES.expTooFar } });
    expect(await call('GET', '/app', jwtFor(app, { iat: now + 120, exp: now + 300 }))).toMatchObject({ status: 401, body: { message: JWT_MESSAGES.iat } });
  });

  it('no credentials, an unknown App, or not a JWT at all: 401', async () => {
    expect((await call('GET', '/app')).status).toBe(401);
    expect(await call('GET', '/app', signAppJwt({ appId: 999, privateKey: app.privateKey }))).toMatchObject({ status: 401, body: { message: JWT_MESSAGES.unknownApp } });
    expect(await call('GET', '/app', 'ghs_notajwt')).toMatchObject({ status: 401, body: { message: JWT_MESSAGES.undecodable } });
  });
});

describe('installation tokens', () => {
  it('POST /app/installations/{id}/access_tokens answers 201 with a token that expires in an hour', async () => {
    const before = Date.now();
    const res = await call('POST', `/app/installations/${app.installations[0]!.id}/access_tokens`, jwtFor(app));
    expect(res.status).toBe(201);
    expect(res.body!.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    const expires = Date.parse(res.body!.expires_at as string);
    expect(expires).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(res.body).toMatchObject({ permissions: { deployments: 'write' }, repository_selection: 'selected' });
    expect(github.installationTokens()).toEqual([expect.objectContaining({ token: res.body!.token, appId: app.appId, installationId: app.installations[0]!.id })]);
  });

  it("an App cannot get a token for another App's installation (404), nor for a repository outside the installation (422)", async () => {
    expect((await call('POST', `/app/installations/${other.installations[0]!.id}/access_tokens`, jwtFor(app))).status).toBe(404);
    const res = await call('POST', `/app/installations/${app.installations[0]!.id}/access_tokens`, jwtFor(app), { repositories: ['site'] });
    expect(res.status).toBe(422);
  });

  it('a token request body is checked against the published schema: permissions must be read or write', async () => {
    const res = await call('POST', `/app/installations/${app.installations[0]!.id}/access_tokens`, jwtFor(app), { permissions: { deployments: 'admin' } });
    expect(res.status).toBe(422);
    expect(res.body!.message).toContain(`For 'properties/permissions/properties/deployments', "admin" is not one of ["read","write"]`);
  });

  it('GET /app/installations/{id} and GET /repos/{owner}/{repo}/installation answer the installation', async () => {
    const id = app.installations[0]!.id;
    expect(await call('GET', `/app/installations/${id}`, jwtFor(app))).toMatchObject({ status: 200, body: { id, app_id: app.appId, account: { login: 'octo-org' } } });
    expect(await call('GET', '/repos/octo-org/api/installation', jwtFor(app))).toMatchObject({ status: 200, body: { id } });
    expect((await call('GET', '/repos/other-org/site/installation', jwtFor(app))).status).toBe(404);
  });
});

describe('the review endpoint', () => {
  it('an installation token approves the pending rule: 204, the run goes on, the review is recorded', async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production', sender: 'mona' });
    const token = await installationToken();
    const res = await call('POST', reviewPath('octo-org/web', runId), token, { environment_name: 'production', state: 'approved', comment: 'Approved in Slack by Carol' });
    expect(res).toEqual({ status: 204, body: undefined });
    expect(github.run(runId)).toMatchObject({ gate: 'approved', status: 'in_progress' });
    expect(github.reviews(runId)).toEqual([expect.objectContaining({ status: 204, state: 'approved', environmentName: 'production', comment: 'Approved in Slack by Carol', appId: app.appId })]);
  });

  it('a rejection ends the run; a second review of the same rule answers 422', async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    const token = await installationToken();
    expect((await call('POST', reviewPath('octo-org/web', runId), token, { environment_name: 'production', state: 'rejected', comment: 'no' })).status).toBe(204);
    expect(github.run(runId)).toMatchObject({ gate: 'rejected', status: 'completed', conclusion: 'failure' });
    const again = await call('POST', reviewPath('octo-org/web', runId), token, { environment_name: 'production', state: 'approved', comment: 'yes' });
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({ status: '422', documentation_url: expect.stringContaining('docs.github.com') });
  });

  it("GitHub's own example request body is accepted as published", async () => {
    const example = github.descriptions.operations.get(REVIEW)!.requestBody!.examples[0] as { environment_name: string };
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: example.environment_name });
    expect((await call('POST', reviewPath('octo-org/web', runId), await installationToken(), example)).status).toBe(204);
    expect(github.run(runId)!.gate).toBe('approved');
  });

  it("a state outside the published enum is refused with 422 and GitHub's message; the rule stays pending", async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    const token = await installationToken();
    const res = await call('POST', reviewPath('octo-org/web', runId), token, { environment_name: 'production', state: 'approve', comment: 'lgtm' });
    expect(res.status).toBe(422);
    expect(res.body!.message).toBe(`Invalid request.\n\nFor 'properties/state', "approve" is not one of ["approved","rejected"].`);
    const bare = await call('POST', reviewPath('octo-org/web', runId), token, { state: 'approved' });
    expect(bare.status).toBe(422);
    expect(bare.body!.message).toContain(`"environment_name" wasn't supplied.`);
    expect((await call('POST', reviewPath('octo-org/web', runId), token, '{not json')).status).toBe(400);
    expect(github.run(runId)).toMatchObject({ gate: 'pending', status: 'waiting' });
  });

  it('a comment alone (no state) is a review that decides nothing', async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    expect((await call('POST', reviewPath('octo-org/web', runId), await installationToken(), { environment_name: 'production', comment: 'Waiting for 2 approvals' })).status).toBe(204);
    expect(github.run(runId)!.gate).toBe('pending');
  });

  it('no token, an expired token, a token without the repository, an unknown run, another environment', async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    const body = { environment_name: 'production', state: 'approved' };
    expect((await call('POST', reviewPath('octo-org/web', runId), undefined, body)).status).toBe(401);
    expect((await call('POST', reviewPath('octo-org/web', runId), jwtFor(app), body)).status).toBe(401);
    const foreign = await installationToken(other);
    expect((await call('POST', reviewPath('octo-org/web', runId), foreign, body)).status).toBe(404);
    const token = await installationToken();
    expect((await call('POST', reviewPath('octo-org/web', 1234), token, body)).status).toBe(404);
    expect((await call('POST', reviewPath('octo-org/api', runId), token, body)).status).toBe(404);
    expect((await call('POST', reviewPath('octo-org/web', runId), token, { ...body, environment_name: 'staging' })).status).toBe(422);
    github.expireTokens();
    expect(await call('POST', reviewPath('octo-org/web', runId), token, body)).toMatchObject({ status: 401, body: { message: 'Bad credentials' } });
    expect(github.run(runId)!.gate).toBe('pending');
  });

  it('a token restricted to other repositories cannot review (404)', async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    const res = await call('POST', `/app/installations/${app.installations[0]!.id}/access_tokens`, jwtFor(app), { repositories: ['api'] });
    expect(res.status).toBe(201);
    expect((await call('POST', reviewPath('octo-org/web', runId), res.body!.token as string, { environment_name: 'production', state: 'approved' })).status).toBe(404);
  });
});

describe('faults', () => {
  it('the review endpoint answers 5xx N times, then applies the review', async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    const token = await installationToken();
    github.faults.inject(REVIEW, { kind: '503', count: 2 });
    const body = { environment_name: 'production', state: 'approved' };
    expect((await call('POST', reviewPath('octo-org/web', runId), token, body)).status).toBe(503);
    expect(github.run(runId)!.gate).toBe('pending');
    expect((await call('POST', reviewPath('octo-org/web', runId), token, body)).status).toBe(503);
    expect((await call('POST', reviewPath('octo-org/web', runId), token, body)).status).toBe(204);
    expect(github.calls(REVIEW).map((c) => [c.status, c.fault])).toEqual([
      [503, '503'],
      [503, '503'],
      [204, undefined],
    ]);
    expect(github.faults.armed()).toEqual({});
  });

  it('the run is cancelled meanwhile: the review answers 422', async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    github.faults.inject(REVIEW, { kind: 'cancel_run' });
    const res = await call('POST', reviewPath('octo-org/web', runId), await installationToken(), { environment_name: 'production', state: 'approved' });
    expect(res.status).toBe(422);
    expect(github.run(runId)).toMatchObject({ status: 'completed', conclusion: 'cancelled', gate: 'pending' });
  });

  it('a review for a run that already finished answers 422', async () => {
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    github.finishRun(runId);
    expect((await call('POST', reviewPath('octo-org/web', runId), await installationToken(), { environment_name: 'production', state: 'approved' })).status).toBe(422);
  });

  it('an unknown operation cannot be armed', () => {
    expect(() => github.faults.inject('repos/get' as never, { kind: '500' })).toThrow(/does not serve/);
  });
});

describe('deliveries', () => {
  it('deployment_protection_rule.requested: signed as GitHub signs, with its headers, verified by @octokit/webhooks', async () => {
    const { deliveryId, runId, delivery } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production', sender: 'mona', sha: 'a'.repeat(40) });
    expect(delivery.response.status).toBe(200);
    expect(receiver.received).toHaveLength(1);
    const { headers, body } = receiver.received[0]!;
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'x-github-event': 'deployment_protection_rule',
      'x-github-delivery': deliveryId,
      'x-github-hook-installation-target-id': String(app.appId),
      'x-github-hook-installation-target-type': 'integration',
    });
    expect(deliveryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    // Every header the webhooks description lists for this webhook is sent.
    for (const h of github.descriptions.webhook.headers) expect(headers[h.toLowerCase()]).toBeDefined();

    const signature = headers['x-hub-signature-256'] as string;
    expect(await new Webhooks({ secret: app.webhookSecret }).verify(body, signature)).toBe(true);
    expect(await new Webhooks({ secret: other.webhookSecret }).verify(body, signature)).toBe(false);

    const payload = JSON.parse(body);
    expect(payload).toMatchObject({
      action: 'requested',
      environment: 'production',
      event: 'push',
      sha: 'a'.repeat(40),
      ref: 'refs/heads/main',
      deployment_callback_url: `${github.apiUrl}${reviewPath('octo-org/web', runId)}`,
      repository: { full_name: 'octo-org/web', name: 'web', owner: { login: 'octo-org' } },
      installation: { id: app.installations[0]!.id },
      sender: { login: 'mona' },
      deployment: { environment: 'production', sha: 'a'.repeat(40) },
    });
    expect(github.run(runId)!.htmlUrl).toBe(`${payload.repository.html_url}/actions/runs/${runId}`);
  });

  it("the payload conforms to the published webhook schema (the webhooks description's and the REST description's)", async () => {
    await github.requestDeploymentReview({ repo: 'octo-org/api', environment: 'staging' });
    const payload = JSON.parse(receiver.received[0]!.body);
    const d = github.descriptions;
    expect(d.validators.problem(d.webhook.key, d.webhook.schema, 'webhooks', payload)).toBeUndefined();
    expect(d.validators.problem(`x-webhooks:${d.webhook.key}`, d.restWebhookSchema, 'rest', payload)).toBeUndefined();
    // The same validator refuses what the schema refuses.
    const { sender: _sender, ...withoutSender } = payload;
    expect(d.validators.problem(d.webhook.key, d.webhook.schema, 'webhooks', withoutSender)?.message).toContain(`"sender" wasn't supplied.`);
    expect(d.validators.problem(d.webhook.key, d.webhook.schema, 'webhooks', { ...payload, action: 'approved' })?.message).toContain(`is not one of ["requested"]`);
  });

  it("the validator accepts every example GitHub publishes in the webhooks description, and refuses them altered", () => {
    const examples = publishedWebhookExamples();
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) {
      expect([e.webhook, e.validators.problem(e.webhook, e.schema, 'webhooks', e.example)]).toEqual([e.webhook, undefined]);
      const altered = { ...(e.example as Record<string, unknown>), repository: 'not a repository' };
      expect(e.validators.problem(e.webhook, e.schema, 'webhooks', altered)).toBeDefined();
    }
  });

  it('a redelivery sends the same delivery: same X-GitHub-Delivery, same body, a valid signature', async () => {
    const { deliveryId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    const again = await github.redeliver(deliveryId);
    expect(again).toMatchObject({ id: deliveryId, redelivery: true, response: { status: 200 } });
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received as [Received, Received];
    expect(second.headers['x-github-delivery']).toBe(deliveryId);
    expect(second.body).toBe(first.body);
    expect(await new Webhooks({ secret: app.webhookSecret }).verify(second.body, second.headers['x-hub-signature-256'] as string)).toBe(true);
    expect(github.runs()).toHaveLength(1);
  });

  it('a forged delivery (signed with another secret) fails verification', async () => {
    await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production', signWith: 'not-the-secret' });
    const { headers, body } = receiver.received[0]!;
    expect(await new Webhooks({ secret: app.webhookSecret }).verify(body, headers['x-hub-signature-256'] as string)).toBe(false);
  });

  it("each App's delivery goes to its own webhook URL with its own installation", async () => {
    const mine = await startReceiver();
    try {
      github.setWebhookUrl(mine.url, other.appId);
      await github.requestDeploymentReview({ repo: 'other-org/site', environment: 'production' });
      expect(receiver.received).toHaveLength(0);
      expect(JSON.parse(mine.received[0]!.body).installation.id).toBe(other.installations[0]!.id);
      expect(mine.received[0]!.headers['x-github-hook-installation-target-id']).toBe(String(other.appId));
    } finally {
      github.setWebhookUrl(receiver.url, other.appId);
      await mine.close();
    }
  });

  it('a repository no App is installed on cannot be requested', async () => {
    await expect(github.requestDeploymentReview({ repo: 'nobody/nothing', environment: 'production' })).rejects.toThrow(/no App of the stand-in is installed on nobody\/nothing/);
  });
});

describe('the page', () => {
  it('fires a delivery from its form route and shows runs and reviews; refuses a call without its header', async () => {
    const page = await fetch(github.pageUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Request deployment review');

    const refused = await fetch(`${github.url}/_standin/deployment-review`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repo: 'octo-org/web', environment: 'production' }) });
    expect(refused.status).toBe(403);
    expect(github.runs()).toHaveLength(0);

    const headers = { 'content-type': 'application/json', 'x-signalroom-sandbox': '1' };
    const fired = (await (await fetch(`${github.url}/_standin/deployment-review`, { method: 'POST', headers, body: JSON.stringify({ repo: 'octo-org/web', environment: 'production', sender: 'mona' }) })).json()) as { runId: number };
    expect(fired).toMatchObject({ ok: true, status: 200 });
    const state = (await (await fetch(`${github.url}/_standin/state`, { headers })).json()) as { runs: unknown[] };
    expect(state.runs).toEqual([expect.objectContaining({ id: fired.runId, repository: 'octo-org/web', environment: 'production', sender: 'mona', gate: 'pending' })]);

    const runPage = await fetch(github.run(fired.runId)!.htmlUrl);
    expect(runPage.status).toBe(200);
    expect(await runPage.text()).toContain('deployment protection rule <b data-testid="run-gate">pending</b>');
  });
});

describe('with Octokit', () => {
  it('@octokit/auth-app gets an installation token from the stand-in, and it reviews the run', async () => {
    const { createAppAuth } = await import('@octokit/auth-app');
    const { request } = await import('@octokit/request');
    const { runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production' });
    const auth = createAppAuth({ appId: app.appId, privateKey: app.privateKey, request: request.defaults({ baseUrl: github.apiUrl }) });
    const { token, expiresAt } = await auth({ type: 'installation', installationId: app.installations[0]!.id });
    expect(token).toMatch(/^ghs_/);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const res = await request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
      baseUrl: github.apiUrl,
      headers: { authorization: `token ${token}` },
      owner: 'octo-org',
      repo: 'web',
      run_id: runId,
      environment_name: 'production',
      state: 'approved',
      comment: 'Approved in Slack',
    });
    expect(res.status).toBe(204);
    expect(github.run(runId)!.gate).toBe('approved');
  });
});
