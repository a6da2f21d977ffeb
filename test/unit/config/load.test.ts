import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../../src/config/load';

const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, 'signalroom.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('loading signalroom.yaml', () => {
  test('interpolates ${ENV} secrets and applies defaults', () => {
    const config = parseConfig(
      ['slack:', '  connectors:', '    payments:', '      botToken: ${PAYMENTS_TOKEN}', '      channels:', '        create: ["inc-payments-*"]', 'projects:', '  payments: { connector: payments }'].join('\n'),
      'signalroom.yaml',
      { PAYMENTS_TOKEN: 'xoxb-payments' },
    );
    expect(config.slack.connectors.payments.botToken).toBe('xoxb-payments');
    expect(config.slack.connectors.payments.channels).toEqual({ create: ['inc-payments-*'], post: ['*'], archive: ['*'] });
    expect(config.worker.maxConcurrentActivityTaskExecutions).toBe(100);
  });

  test('a missing environment variable names the file, line and field', () => {
    const problems = problemsOf(['slack:', '  organization:', '    botToken: ${SLACK_BOT_TOKEN}'].join('\n'));
    expect(problems).toEqual([
      { file: 'signalroom.yaml', line: 3, column: 15, field: 'slack.organization.botToken', message: 'environment variable SLACK_BOT_TOKEN is not set' },
    ]);
  });

  test('a file that is only a missing variable names (root) as the field (found by the config fuzz test)', () => {
    expect(problemsOf('${A}')).toEqual([{ file: 'signalroom.yaml', line: 1, column: 1, field: '(root)', message: 'environment variable A is not set' }]);
  });

  test('${VAR:-default} falls back', () => {
    const config = parseConfig('slack:\n  organization:\n    apiUrl: ${SLACK_API_URL:-https://slack-gov.com/api/}\n', 'f.yaml', {});
    expect(config.slack.organization?.apiUrl).toBe('https://slack-gov.com/api/');
  });

  test('schema errors point at the offending value', () => {
    const problems = problemsOf(['approverGroups:', '  release:', '    users: [U0ALICE, alice]', '    emails: [not-an-email]'].join('\n'));
    expect(problems.map((p) => `${p.line}:${p.column} ${p.field}`)).toEqual(['3:22 approverGroups.release.users.1', '4:14 approverGroups.release.emails.0']);
    expect(problems[0].message).toContain('a Slack user id like U0123ABCD');
  });

  test('unknown keys are refused, named, and located', () => {
    const problems = problemsOf('slack:\n  organisation:\n    botToken: x\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 2, column: 3, field: 'slack.organisation' });
    expect(problems[0].message).toContain('organisation');
  });

  test('YAML syntax errors name line and column', () => {
    const problems = problemsOf('slack:\n  connectors: [unclosed\n');
    expect(problems[0].field).toBe('(syntax)');
    expect(problems[0].line).toBeGreaterThanOrEqual(2);
  });

  test('with no file, the built-in default loads; a named missing file is an error', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sr-config-'));
    expect(loadConfig({}, dir).file).toBeUndefined();
    expect(() => loadConfig({ SIGNALROOM_CONFIG: 'nope.yaml' }, dir)).toThrow(/SIGNALROOM_CONFIG names a file that does not exist/);
    writeFileSync(path.join(dir, 'signalroom.yaml'), 'projects:\n  web: {}\n');
    expect(loadConfig({}, dir).config.projects).toEqual({ web: {} });
  });
});

test('a ${VAR:-} that resolves to nothing leaves the field unset', () => {
  const config = parseConfig('slack:\n  organization:\n    botToken: ${SLACK_BOT_TOKEN:-}\n', 'f.yaml', {});
  expect(config.slack.organization).toEqual({});
});

describe('what an operator is told about a configuration that cannot work', () => {
  test('names that refer to nothing configured are refused where they are written, with the closest name', () => {
    const problems = problemsOf(
      [
        'slack:',
        '  connectors:',
        '    payments: { botToken: xoxb-1 }',
        'approverGroups:',
        '  release: { users: [U0CAROL], integrations: [organization, "connector:paymnets"] }',
        'incidents:',
        '  responderGroups: [releese, nosuch]',
        'projects:',
        '  web: { connector: nosuch }',
      ].join('\n'),
    );
    expect(problems).toEqual([
      expect.objectContaining({ line: 5, field: 'approverGroups.release.integrations.1', message: 'no connector "paymnets" is configured under slack.connectors (did you mean "payments"?)' }),
      expect.objectContaining({ line: 7, field: 'incidents.responderGroups.0', message: 'no approver group "releese" is configured under approverGroups (did you mean "release"?)' }),
      expect.objectContaining({ line: 7, field: 'incidents.responderGroups.1', message: 'no approver group "nosuch" is configured under approverGroups' }),
      expect.objectContaining({ line: 9, field: 'projects.web.connector', message: 'no connector "nosuch" is configured under slack.connectors' }),
    ]);
  });

  test('__proto__ as a group, project or connector name is refused where it is written, not silently dropped', () => {
    for (const [text, field] of [
      ['approverGroups:\n  __proto__: { users: [U0CAROL] }\n', 'approverGroups.__proto__'],
      ['projects:\n  __proto__: {}\n', 'projects.__proto__'],
      ['slack:\n  connectors:\n    __proto__: { botToken: x }\n', 'slack.connectors.__proto__'],
    ]) {
      expect(problemsOf(text)).toEqual([expect.objectContaining({ field, message: '"__proto__" cannot be a name here: choose another' })]);
    }
  });

  test('an unknown key gets the closest known one', () => {
    const [problem] = problemsOf('slack:\n  organisation:\n    botToken: x\n');
    expect(problem.message).toBe('unknown field "organisation" (did you mean "organization"?)');
    expect(problemsOf('runbooks:\n  dir: [x]\n')[0].message).toBe('unknown field "dir" (did you mean "dirs"?)');
  });

  test('values are explained in words, not in the validator’s terms', () => {
    const problems = problemsOf(['slack:', '  organization:', '    stateSecret: short', '    apiUrl: not-a-url', 'api:', '  tokens:', '    - { name: ci, token: 0123456789abcdef, permissions: [approvals:rread] }', 'worker:', '  maxCachedWorkflows: -1', '  maxConcurrentActivityTaskExecutions: many'].join('\n'));
    expect(problems.map((p) => `${p.field}: ${p.message}`).sort()).toEqual([
      'slack.organization.stateSecret: must be at least 8 characters long',
      'slack.organization.apiUrl: must be a URL, like https://example.com/',
      'api.tokens.0.permissions.0: must be one of approvals:read, approvals:write, approvals:decide, approvals:decide-as-anyone, runbooks:read, runbooks:run, incidents:read, incidents:write, incidents:write-as-anyone, freezes:read, freezes:write, integrations:install, * (did you mean "approvals:read"?)',
      'worker.maxCachedWorkflows: must be at least 0',
      'worker.maxConcurrentActivityTaskExecutions: must be a number, not a string',
    ].sort());
  });
});
