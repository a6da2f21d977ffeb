/**
 * A configuration that cannot work stops a process with EX_CONFIG (78),
 * naming file, line, field and the fix in words, not as an internal error (70).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSignalroom } from '../../support/ops';

test('signalroom worker with a configuration naming a responder group that does not exist exits 78, saying where', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sr-config-exit-'));
  const file = path.join(dir, 'signalroom.yaml');
  writeFileSync(file, ['approverGroups:', '  release: { users: [U0CAROL] }', 'incidents:', '  responderGroups: [releese]', ''].join('\n'));
  const run = await runSignalroom(['worker'], { env: { SIGNALROOM_CONFIG: file, TEMPORAL_ADDRESS: '127.0.0.1:1' } });
  expect(run.code).toBe(78);
  expect(run.stderr).toContain(`${file}:4:21 incidents.responderGroups.0: no approver group "releese" is configured under approverGroups (did you mean "release"?)`);
  expect(run.stderr).not.toMatch(/\n\s+at /);
});
