/**
 * A token that may only read runbooks sends deeply nested YAML to
 * /api/v1/runbooks/validate, again and again: `steps: [[[…]]]` 20,000 deep
 * and an alternating `[{[{…}]}]` 30,000 deep. Parsing such text once
 * exhausted the stack inside the YAML library; the third time, V8 ran out
 * of memory compiling a regular expression, a fatal error for the whole
 * process, thread or not: the server died. The attack is made against the
 * real `signalroom server` process; it must answer every body with a
 * refusal that names the limit, validate a good runbook afterwards, and
 * still be the same live process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunbookValidationProcess } from '../../src/server/runbook-validation';
import { freePort } from '../../src/temporal/free-port';
import { eventually, spawnSignalroom, type SignalroomProcess } from '../support/ops';

jest.setTimeout(180_000);

const TOKEN = 'runbook-reader-token-0123456789';

const brackets = (depth: number) => `steps: ${'['.repeat(depth)}${']'.repeat(depth)}`;
function alternating(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? '{' : '[';
    close = (i % 2 ? '}' : ']') + close;
  }
  return `steps: ${open}${close}`;
}

const VALID = 'name: fine\ninputs: [incident.id]\nsteps:\n  - Action Type: Slack\n    Operation: Send Message\n    Channel: "#deploys"\n    Message: "[incident.id] is open"\n';

let dir: string;
let server: SignalroomProcess;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-nesting-'));
  writeFileSync(path.join(dir, 'signalroom.yaml'), ['api:', '  tokens:', `    - name: reader`, `      token: ${TOKEN}`, '      permissions: [runbooks:read]', ''].join('\n'));
  const port = await freePort();
  server = spawnSignalroom(['server', '--port', String(port)], dir, { PORT: String(port) });
  base = `http://127.0.0.1:${port}`;
  await eventually('the server to answer /healthz', async () => (await fetch(`${base}/healthz`)).status === 200, 60_000);
});

afterAll(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function validate(content: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/v1/runbooks/validate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('deeply nested YAML sent for validation again and again is refused naming the limit, and the server lives on to validate a good runbook', async () => {
  const bodies = [brackets(20_000), alternating(30_000)];
  const answers: Array<{ status: number; body: Record<string, unknown> }> = [];
  for (let round = 0; round < 3; round++) {
    for (const content of bodies) {
      try {
        answers.push(await validate(content));
      } catch (err) {
        throw new Error(`the server stopped answering (round ${round + 1}): ${(err as Error).message}\n${server.output().slice(-2000)}`);
      }
    }
  }
  for (const answer of answers) {
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ error: 'unprocessable_entity', field: 'body.content' });
    expect(String(answer.body.message)).toMatch(/nest.*deeper than \d+ levels/);
  }
  const good = await validate(VALID);
  expect(good).toEqual({ status: 200, body: { valid: true, name: 'fine', problems: [] } });
  expect(server.child.exitCode).toBeNull();
  expect(server.child.signalCode).toBeNull();
});

test('a validator process that dies while parsing answers that runbook 422, and a new one validates the runbooks queued behind it', async () => {
  const validator = new RunbookValidationProcess({ childModule: path.join(__dirname, '../support/validation-child-that-dies.js') });
  try {
    const dies = validator.validate('die', 'bomb.yaml');
    const queued = validator.validate(VALID, 'fine.yaml');
    await expect(dies).rejects.toMatchObject({ status: 422, details: { field: 'body.content' }, message: expect.stringMatching(/validator stopped while parsing it/) });
    await expect(queued).resolves.toEqual({ problems: [], name: 'fine' });
    await expect(validator.validate(VALID, 'again.yaml')).resolves.toEqual({ problems: [], name: 'fine' });
  } finally {
    await validator.close();
  }
});
