/**
 * A reader of stdout that falls behind (a stalled log shipper) must not let
 * a process's queued log lines grow without bound: a flood of requests, each
 * logged, would grow the server until it is killed. Lines past the bound are
 * dropped, and how many is logged once the queue has drained (src/logging.ts).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');

test.each(['worker', 'server'] as const)('the %s logger: 100 MB of lines behind a reader stalled for 2 s grow the process by far less, and the drop is logged', async (kind) => {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run-ts.js'), 'test/support/log-flood.ts', kind], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let stdout = '';
  // Nothing reads the child's stdout for 2 s; then everything is read.
  const reader = setTimeout(() => child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8'))), 2_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(reader);
  expect(code).toBe(0);
  const { grewBytes } = JSON.parse(stderr.trim().split('\n').pop()!) as { grewBytes: number };
  // Unbounded, the queue held most of the 100 MB: the process grew by 108 MB here.
  expect(grewBytes).toBeLessThan(50 * 1024 * 1024);
  const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; seq?: number; droppedLines?: number; level: number });
  const written = lines.filter((l) => l.msg === 'flood').length;
  const report = lines.find((l) => l.droppedLines !== undefined);
  expect(report).toMatchObject({ level: 40, msg: expect.stringMatching(/stdout/) });
  // Every line is either on stdout, whole, or counted as dropped.
  expect(written + report!.droppedLines!).toBe(5_000);
  expect(written).toBeGreaterThan(0);
});
