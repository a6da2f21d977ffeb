import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRunbookDir, loadRunbookFile } from '../../../src/runbook/load';
import { formatProblem, parseRunbook } from '../../../core/runbook/validate';
import { STEP_KINDS } from '../../../core/runbook/steps/registry';

/** Every operation, as the registry lists them: a new kind needs no edit here. */
const OPERATIONS = STEP_KINDS.map((k) => k.operation).join(', ');

const root = path.resolve(__dirname, '../../..');
const broken = path.join(root, 'test/fixtures/runbooks/broken');

/** What `signalroom runbook validate` prints for a fixture, relative to the repo. */
async function problemsOf(name: string): Promise<string[]> {
  const file = path.relative(root, path.join(broken, name));
  const result = await loadRunbookFile(path.join(root, file));
  return result.problems.map((p) => formatProblem({ ...p, file }));
}

describe('broken runbooks: each names its one problem precisely', () => {
  const dir = 'test/fixtures/runbooks/broken';
  test.each([
    [
      'unknown-operation.yaml',
      `${dir}/unknown-operation.yaml:4:16 steps[0].Operation: unknown operation "Create Chanel" (did you mean "Create Channel"?); expected one of: ${OPERATIONS}`,
    ],
    [
      'unknown-placeholder.yaml',
      `${dir}/unknown-placeholder.yaml:9:18 steps[1].Message: unknown placeholder [incident.sevrity]: not a declared input or an earlier step's output (did you mean [incident.severity]?); declared inputs: incident.id, incident.title, incident.severity, incident.service, incident.description`,
    ],
    ['uppercase-channel.yaml', `${dir}/uppercase-channel.yaml:5:11 steps[0].Name: Slack channel names are lower-case: write "incident-[incident.id]" instead of "Incident-[incident.id]"`],
    ['bad-duration.yaml', `${dir}/bad-duration.yaml:7:18 reminders.every.SEV1: expected a duration like 30s, 15m, 1h, 2d or 1h30m`],
    ['missing-field.yaml', `${dir}/missing-field.yaml:6:5 steps[1].Message: Send Message needs Message`],
    ['bad-yaml.yaml', `${dir}/bad-yaml.yaml:5:34 (syntax): Missing closing "quote`],
    ['step-before-defined.yaml', `${dir}/step-before-defined.yaml:9:14 steps[1].Thread: step "thread" runs later (line 13); a step can only use what earlier steps produced`],
    ['bad-when.yaml', `${dir}/bad-when.yaml:5:29 steps[0].When: use == to compare (a single = is not an operator) in "incident.severity = SEV1"`],
  ])('%s', async (name, expected) => {
    expect(await problemsOf(name)).toEqual([expected]);
  });

  test('every broken fixture is covered above', () => {
    expect(readdirSync(broken).sort()).toEqual(
      ['bad-duration.yaml', 'bad-when.yaml', 'bad-yaml.yaml', 'missing-field.yaml', 'step-before-defined.yaml', 'unknown-operation.yaml', 'unknown-placeholder.yaml', 'uppercase-channel.yaml'],
    );
  });
});

describe('the example runbooks', () => {
  test('runbooks/ holds only valid runbooks, each named after its file', async () => {
    const loaded = await loadRunbookDir(path.join(root, 'runbooks'));
    expect(loaded.problems).toEqual([]);
    expect([...loaded.runbooks.keys()].sort()).toEqual(['deploy-approval', 'seed-example', 'sev1-outage']);
  });

  test('each references the JSON Schema so editors autocomplete', () => {
    for (const name of ['seed-example.yaml', 'sev1-outage.yaml', 'deploy-approval.yaml'])
      expect(readFileSync(path.join(root, 'runbooks', name), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./runbook.schema.json');
  });

  test('sev1-outage covers the whole lifecycle', async () => {
    const { runbook } = await loadRunbookFile(path.join(root, 'runbooks/sev1-outage.yaml'));
    expect(runbook!.steps.map((s) => s.op)).toEqual(['createChannel', 'addUsers', 'sendMessage', 'pinMessage', 'setTopic', 'addBookmark', 'createThread', 'uploadFile', 'addActionItem', 'sendMessage']);
    // Share metrics and graphs: the dashboard panel as an image block in the notification.
    expect(runbook!.steps[2]).toMatchObject({ blocks: expect.arrayContaining([expect.objectContaining({ type: 'image', altText: '[incident.service] error rate, last hour' })]) });
    expect(runbook!.steps[1].when).toBe('incident.severity == SEV1');
    expect(runbook!.onUpdate.map((s) => s.op)).toEqual(['updateMessage']);
    expect(runbook!.onResolve.map((s) => s.op)).toEqual(['sendMessage', 'updateMessage', 'addActionItem', 'createPostmortem', 'scheduleMessage', 'wait', 'archiveChannel']);
    expect(runbook!.onResolve[4]).toMatchObject({ op: 'scheduleMessage', afterMs: 2 * 86_400_000 });
    expect(runbook!.onResolve[5]).toEqual({ op: 'wait', key: 'resolve/6', durationMs: 86_400_000 });
    expect(runbook!.reminders).toMatchObject({ bySeverity: { SEV1: 900_000, SEV2: 1_800_000 }, defaultMs: 3_600_000 });
    expect(runbook!.steps[5]).toEqual({ op: 'addBookmark', key: 'open/6', channel: '#[incident.channel]', title: '[incident.service] dashboard', link: '[incident.dashboard]', emoji: ':bar_chart:' });
  });

  test('deploy-approval gates on a Request Approval step', async () => {
    const { runbook } = await loadRunbookFile(path.join(root, 'runbooks/deploy-approval.yaml'));
    expect(runbook!.steps[1]).toEqual({
      op: 'requestApproval',
      id: 'approval',
      key: 'open/approval',
      channel: '#deploys',
      text: 'Deploy [incident.service] [incident.version] to production',
      approverGroups: ['release-managers'],
      minApprovals: 1,
      timeoutMs: 1_800_000,
      onTimeout: 'reject',
      onReject: 'continue',
    });
    expect(runbook!.steps[2].when).toBe('steps.approval.status == approved');
  });
});

describe('validation', () => {
  const check = (text: string) => parseRunbook(text, 'r.yaml').problems.map(formatProblem);
  const channel = '  - Operation: Create Channel\n    Name: "inc-[incident.id]"\n';

  test('reports every problem in one pass, in file order', () => {
    expect(
      check(`name: many
steps:
  - Operation: Send Mesage
  - Operation: Wait
    Duration: soon
  - Operation: Set Topic
    Chanel: "#general"
    Topic: hi
`),
    ).toEqual([
      `r.yaml:3:16 steps[0].Operation: unknown operation "Send Mesage" (did you mean "Send Message"?); expected one of: ${OPERATIONS}`,
      'r.yaml:5:15 steps[1].Duration: expected a duration like 30s, 15m, 1h, 2d or 1h30m',
      'r.yaml:7:5 steps[2].Chanel: unknown field "Chanel" (did you mean "Channel"?)',
    ]);
  });

  test('steps default to the incident channel, which needs a Create Channel before them', () => {
    expect(check('- Operation: Archive Channel\n')).toEqual([
      'r.yaml:1:14 steps[0]: Archive Channel has no Channel, so it uses the incident channel #[incident.channel], but no Create Channel step runs before it; give it a Channel',
    ]);
  });

  test('resolve steps may use open steps and resolution values, not update steps', () => {
    expect(
      check(`steps:
${channel}    Id: chan
onUpdate:
  - Operation: Send Message
    Id: echo
    Message: "[update.text]"
onResolve:
  - Operation: Send Message
    Message: "[resolution.summary] in [steps.chan.channel] [steps.echo.ts] [update.text]"
`),
    ).toEqual([
      'r.yaml:11:60 onResolve[0].Message: step "echo" is in onUpdate, which may not have run here; only steps in the open section (steps) and earlier steps of this section can be used',
      'r.yaml:11:76 onResolve[0].Message: unknown placeholder [update.text]: not a declared input or an earlier step\'s output; declared inputs: incident.id, incident.title, incident.severity, incident.service, incident.description',
    ]);
  });

  test('a step output must be one the operation produces', () => {
    expect(check(`steps:\n${channel}    Id: chan\n  - Operation: Pin Message\n    Ts: "[steps.chan.ts]"\n`)).toEqual([
      'r.yaml:6:10 steps[1].Ts: step "chan" (Create Channel) outputs channel, name, link; not "ts"',
    ]);
  });

  test('step ids are unique, and When references are checked too', () => {
    expect(check(`steps:\n${channel}    Id: a\n  - Operation: Set Topic\n    Id: a\n    When: incident.sevrity == SEV1\n    Topic: x\n`)).toEqual([
      'r.yaml:6:9 steps[1].Id: another step already has Id "a" (line 4); step ids are unique in a runbook',
      "r.yaml:7:11 steps[1].When: unknown placeholder [incident.sevrity]: not a declared input or an earlier step's output (did you mean [incident.severity]?); declared inputs: incident.id, incident.title, incident.severity, incident.service, incident.description",
    ]);
  });

  test('declared inputs replace the defaults', () => {
    expect(check(`inputs: [incident.id]\nsteps:\n${channel}  - Operation: Set Topic\n    Topic: "[incident.service]"\n`)).toEqual([
      "r.yaml:6:13 steps[1].Topic: unknown placeholder [incident.service]: not a declared input or an earlier step's output; declared inputs: incident.id",
    ]);
  });

  test('a Wait takes Duration or For, and Request Approval needs approver groups', () => {
    expect(check(`steps:\n${channel}  - Operation: Wait\n  - Operation: Request Approval\n    Message: ok?\n`)).toEqual([
      'r.yaml:5:5 steps[2].ApproverGroups: Request Approval needs ApproverGroups',
    ]);
    expect(check(`steps:\n${channel}  - Operation: Wait\n`)).toEqual(['r.yaml:4:16 steps[1]: a Wait needs either Duration (e.g. 30m) or For (resolved or update), not both']);
  });

  test('a literal channel Slack would refuse is shown as Slack would name it', () => {
    expect(check('- Operation: Send Message\n  Channel: "#Ops Room"\n  Message: hi\n')).toEqual(['r.yaml:2:12 steps[0].Channel: Slack channel names are lower-case: write "#ops-room" instead of "#Ops Room"']);
  });

  test('a step that is not a map says what a step looks like', () => {
    expect(check('steps: [notify]\n')).toEqual(['r.yaml:1:9 steps[0]: expected a step: a map with an Operation, like `Operation: Send Message`']);
  });

  test('the example in the README is a valid runbook', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const example = /## Runbooks[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1];
    expect(parseRunbook(example, 'README.md').problems).toEqual([]);
  });

  test('an empty file and a scalar are not runbooks', () => {
    expect(check('')).toEqual(['r.yaml:1:1 (root): the file is empty; a runbook is a list of steps, or an object with name and steps']);
    expect(check('hello\n')).toEqual(['r.yaml:1:1 (root): a runbook is a list of steps, or an object with name and steps']);
  });
});

describe('the step kinds added as modules', () => {
  const check = (text: string) => parseRunbook(text, 'r.yaml').problems.map(formatProblem);
  const channel = '  - Operation: Create Channel\n    Name: "inc-[incident.id]"\n';

  test('Upload File takes Url or Content, and a literal Url is http(s)', () => {
    expect(check(`steps:\n${channel}  - Operation: Upload File\n    Filename: a.png\n`)).toEqual(['r.yaml:4:16 steps[1]: Upload File needs either Url (fetched by the worker) or Content, not both']);
    expect(check(`steps:\n${channel}  - Operation: Upload File\n    Filename: a.png\n    Url: file:///etc/passwd\n`)).toEqual(['r.yaml:6:10 steps[1].Url: "file:///etc/passwd" is not an http(s) URL']);
  });

  test('an image block needs ImageUrl and AltText, and a literal ImageUrl is http(s)', () => {
    expect(check(`steps:\n${channel}  - Operation: Send Message\n    Message: m\n    Blocks:\n      - Type: image\n        ImageUrl: javascript:alert(1)\n        AltText: graph\n`)).toEqual([
      'r.yaml:8:19 steps[1].Blocks[0].ImageUrl: "javascript:alert(1)" is not an http(s) URL',
    ]);
    expect(check(`steps:\n${channel}  - Operation: Send Message\n    Message: m\n    Blocks:\n      - Type: image\n        ImageUrl: https://grafana.example/render\n`)).toEqual(['r.yaml:7:9 steps[1].Blocks[0].AltText: steps[1].Blocks[0] needs AltText']);
  });

  test('Add Action Item and Create Postmortem use the incident channel, so they need one (Wait does not)', () => {
    expect(check('- Operation: Add Action Item\n  Text: roll back\n- Operation: Wait\n  Duration: 1s\n')).toEqual([
      'r.yaml:1:14 steps[0]: Add Action Item has no Channel, so it uses the incident channel #[incident.channel], but no Create Channel step runs before it; give it a Channel',
    ]);
    expect(check(`steps:\n${channel}onResolve:\n  - Operation: Create Postmortem\n  - Operation: Add Action Item\n    Text: "follow up on [resolution.summary]"\n    Owner: "@sre-team"\n`)).toEqual([]);
  });
});
