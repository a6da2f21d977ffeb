/**
 * examples/gitlab-ci.yml and examples/buildkite-pipeline.yml, run: their
 * shell is taken from the YAML as the CI would take it (GitLab's `script`
 * lines; Buildkite's `command`, with `$$` deferred to the shell), the image's
 * `node /app/bin/signalroom.js` is this checkout's bin, and the CI's
 * variables are set as the CI sets them. Against a live stack, through the
 * HTTP API as the examples are: approved exits 0, rejected fails the job.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { API_TOKEN, approvalStack, card, eventually, visibleText, type ApprovalStack } from '../../support/approvals';

const ROOT = path.resolve(__dirname, '../../..');
let s: ApprovalStack;
beforeAll(async () => {
  s = await approvalStack({ approverGroups: { 'release-managers': { userGroups: ['@release-managers'] } } });
});
afterAll(() => s?.close());

const example = (file: string) => parse(readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as Record<string, unknown>;
/** The image's CLI is this checkout's. */
const local = (shell: string) => shell.replaceAll('node /app/bin/signalroom.js', `node ${path.join(ROOT, 'bin/signalroom.js')}`);

function gitlabScript(): string {
  const job = example('gitlab-ci.yml')['approve-production'] as { image: { entrypoint: string[] }; script: string[] };
  expect(job.image.entrypoint).toEqual(['']);
  return local(job.script.join('\n'));
}

function buildkiteCommand(): string {
  const step = (example('buildkite-pipeline.yml').steps as Array<{ key?: string; command: string; plugins: Array<Record<string, { entrypoint: string }>> }>).find((s) => s.key === 'approve-production')!;
  expect(step.plugins[0]!['docker#v5.12.0']!.entrypoint).toBe('');
  // Buildkite's upload-time interpolation: `$$` is a literal `$` for the step's shell.
  return local(step.command.replaceAll('$$', '$'));
}

/** Runs `script` as the job's shell (`sh -e`) with the CI's variables; resolves with its exit code and output. */
function runJob(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn('/bin/sh', ['-e', '-c', script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SIGNALROOM_API_URL: s.serverUrl, SIGNALROOM_API_TOKEN: API_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

async function decideWhenPosted(execution: string, id: string, verb: 'approve' | 'reject') {
  await eventually('the card', () => card(s.sandbox, execution));
  const decided = await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, API_TOKEN, { verb, user: 'U0CAROL', ...(verb === 'reject' ? { reason: 'freeze' } : {}) });
  expect(decided.status).toBe(200);
}

const run = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;

test('GitLab CI: the job waits, and passes when approved', async () => {
  const pipeline = run();
  const job = runJob(gitlabScript(), { CI_PROJECT_PATH: 'acme/api', CI_PIPELINE_ID: pipeline, CI_PIPELINE_URL: `https://gitlab.example.com/acme/api/-/pipelines/${pipeline}`, CI_PROJECT_NAME: 'api', CI_COMMIT_SHORT_SHA: 'a1b2c3d4' });
  await decideWhenPosted(pipeline, `approval:acme/api:production:${pipeline}`, 'approve');
  const { code, out } = await job;
  expect(out).toContain('Outcome: approved');
  expect(code).toBe(0);
  expect(visibleText(card(s.sandbox, pipeline)!)).toContain('Deploy api a1b2c3d4 to production');
});

test('GitLab CI: the job fails when rejected (exit 1)', async () => {
  const pipeline = run();
  const job = runJob(gitlabScript(), { CI_PROJECT_PATH: 'acme/api', CI_PIPELINE_ID: pipeline, CI_PIPELINE_URL: `https://gitlab.example.com/acme/api/-/pipelines/${pipeline}`, CI_PROJECT_NAME: 'api', CI_COMMIT_SHORT_SHA: 'a1b2c3d4' });
  await decideWhenPosted(pipeline, `approval:acme/api:production:${pipeline}`, 'reject');
  const { code, out } = await job;
  expect(out).toContain('Outcome: rejected');
  expect(code).toBe(1);
});

test('Buildkite: the step waits, and passes when approved', async () => {
  const build = run();
  const job = runJob(buildkiteCommand(), { BUILDKITE_PIPELINE_SLUG: 'api-deploy', BUILDKITE_BUILD_NUMBER: build, BUILDKITE_BUILD_URL: `https://buildkite.com/acme/api-deploy/builds/${build}`, BUILDKITE_COMMIT: 'a1b2c3d4e5f6' });
  await decideWhenPosted(build, `approval:api-deploy:production:${build}`, 'approve');
  const { code, out } = await job;
  expect(out).toContain('Outcome: approved');
  expect(code).toBe(0);
  expect(visibleText(card(s.sandbox, build)!)).toContain('Deploy a1b2c3d4e5f6 to production');
});
