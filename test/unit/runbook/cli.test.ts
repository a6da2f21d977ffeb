import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
function signalroom(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/signalroom.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('signalroom runbook validate', () => {
  test('prints ok per valid file and exits 0', () => {
    const r = signalroom('runbook', 'validate', 'runbooks/seed-example.yaml', 'runbooks/sev1-outage.yaml', 'runbooks/deploy-approval.yaml');
    expect(r).toMatchObject({ code: 0, stdout: 'ok runbooks/seed-example.yaml\nok runbooks/sev1-outage.yaml\nok runbooks/deploy-approval.yaml\n' });
  });

  test('a folder means every runbook in it', () => {
    const r = signalroom('runbook', 'validate', 'runbooks');
    expect(r).toMatchObject({ code: 0, stdout: 'ok runbooks/deploy-approval.yaml\nok runbooks/seed-example.yaml\nok runbooks/sev1-outage.yaml\n' });
  });

  test('prints file:line:column field: message per problem and exits 1 when any file is invalid', () => {
    const r = signalroom('runbook', 'validate', 'runbooks/seed-example.yaml', 'test/fixtures/runbooks/broken/bad-when.yaml', 'test/fixtures/runbooks/broken/missing-field.yaml', 'missing.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'ok runbooks/seed-example.yaml',
        'test/fixtures/runbooks/broken/bad-when.yaml:5:29 steps[0].When: use == to compare (a single = is not an operator) in "incident.severity = SEV1"',
        'test/fixtures/runbooks/broken/missing-field.yaml:6:5 steps[1].Message: Send Message needs Message',
        'missing.yaml:0:0 (file): no such file',
        '',
      ].join('\n'),
    );
  });

  test('--json gives machines the same result', () => {
    const r = signalroom('runbook', 'validate', '--json', 'runbooks/seed-example.yaml', 'test/fixtures/runbooks/broken/uppercase-channel.yaml');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      valid: false,
      files: [
        { file: 'runbooks/seed-example.yaml', valid: true, runbook: 'seed-example', problems: [] },
        {
          file: 'test/fixtures/runbooks/broken/uppercase-channel.yaml',
          valid: false,
          problems: [
            {
              file: 'test/fixtures/runbooks/broken/uppercase-channel.yaml',
              line: 5,
              column: 11,
              field: 'steps[0].Name',
              message: 'Slack channel names are lower-case: write "incident-[incident.id]" instead of "Incident-[incident.id]"',
            },
          ],
        },
      ],
    });
  });

  test('no file is bad usage', () => {
    expect(signalroom('runbook', 'validate').code).toBe(64);
  });
});
