import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseRunbook } from '../../../core/runbook/validate';

// The three blocks exactly as "Slack Integration for Runbooks" writes them,
// under its "Channel Creation", "Notifications" and "Thread Management".
const CHANNEL_CREATION = `- Action Type: Slack
  Operation: Create Channel
  Name: "incident-[incident.id]"
  Description: "Channel for incident [incident.id]"
  AddUsers: ["@oncall", "@sre-team"]
`;
const NOTIFICATIONS = `- Action Type: Slack
  Operation: Send Message
  Channel: "#[incident.channel]"
  Message: "🚨 [incident.severity] incident detected in [incident.service]"
  Blocks:
    - Type: section
      Text: "*Impact*: [incident.description]"
`;
const THREAD_MANAGEMENT = `- Action Type: Slack
  Operation: Create Thread
  Channel: "#[incident.channel]"
  Message: "Updates for incident [incident.id]"
  ThreadUpdates: true
`;

const EXPECTED_STEPS = [
  {
    op: 'createChannel',
    key: 'open/1',
    name: 'incident-[incident.id]',
    description: 'Channel for incident [incident.id]',
    addUsers: ['@oncall', '@sre-team'],
    private: false,
  },
  {
    op: 'sendMessage',
    key: 'open/2',
    channel: '#[incident.channel]',
    text: '🚨 [incident.severity] incident detected in [incident.service]',
    blocks: [{ type: 'section', text: '*Impact*: [incident.description]' }],
    broadcast: false,
  },
  { op: 'createThread', key: 'open/3', channel: '#[incident.channel]', text: 'Updates for incident [incident.id]', threadUpdates: true },
];

describe("the source document's Slack blocks", () => {
  test('a file that is just the three blocks is a runbook whose open steps they are', () => {
    const result = parseRunbook(CHANNEL_CREATION + NOTIFICATIONS + THREAD_MANAGEMENT, 'runbooks/incident-basics.yaml');
    expect(result.problems).toEqual([]);
    expect(result.runbook).toEqual({
      name: 'incident-basics',
      inputs: ['incident.id', 'incident.title', 'incident.severity', 'incident.service', 'incident.description'],
      steps: EXPECTED_STEPS,
      onUpdate: [],
      onResolve: [],
    });
  });

  test.each([
    ['Channel Creation', CHANNEL_CREATION, EXPECTED_STEPS[0]],
    ['Thread Management', `${CHANNEL_CREATION}${THREAD_MANAGEMENT}`, { ...EXPECTED_STEPS[2], key: 'open/2' }],
    ['Notifications', `${CHANNEL_CREATION}${NOTIFICATIONS}`, EXPECTED_STEPS[1]],
  ])('%s parses on its own (after the channel it posts to)', (_title, text, expected) => {
    const { runbook, problems } = parseRunbook(text, 'one.yaml');
    expect(problems).toEqual([]);
    expect(runbook!.steps.at(-1)).toEqual(expected);
  });

  test('runbooks/seed-example.yaml holds the three blocks verbatim and normalizes to the same steps', () => {
    const file = path.resolve(__dirname, '../../../runbooks/seed-example.yaml');
    const text = readFileSync(file, 'utf8');
    for (const block of [CHANNEL_CREATION, NOTIFICATIONS, THREAD_MANAGEMENT]) expect(text).toContain(block);
    const { runbook, problems } = parseRunbook(text, 'runbooks/seed-example.yaml');
    expect(problems).toEqual([]);
    expect(runbook!.steps).toEqual(EXPECTED_STEPS);
  });

  test('Send Message before any Create Channel cannot use #[incident.channel]', () => {
    const { problems } = parseRunbook(NOTIFICATIONS, 'notify.yaml');
    expect(problems).toEqual([
      {
        file: 'notify.yaml',
        line: 3,
        column: 14,
        field: 'steps[0].Channel',
        message: '[incident.channel] is set by a Create Channel step, and none runs before this one',
      },
    ]);
  });
});
