/**
 * A line Signalroom has logged is on stdout, even if the process dies the
 * next instant with no chance to flush (SIGKILL, the kernel's OOM killer):
 * the line that says what happened last is the one an operator needs.
 * Every process writes its lines synchronously (src/logging.ts).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');

function logThenDie(kind: 'worker' | 'server'): Promise<{ signal: NodeJS.Signals | null; lines: Array<{ seq?: number; msg?: string }> }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run-ts.js'), 'test/support/log-then-die.ts', kind], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return new Promise((resolve) => {
    child.on('close', (_code, signal) => {
      const lines = out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { seq?: number; msg?: string });
      resolve({ signal, lines });
    });
  });
}

test.each(['worker', 'server'] as const)('the %s logger: both lines logged before a SIGKILL are on stdout', async (kind) => {
  const { signal, lines } = await logThenDie(kind);
  expect(signal).toBe('SIGKILL');
  expect(lines.filter((l) => l.seq !== undefined).map((l) => [l.seq, l.msg])).toEqual([
    [1, 'first line'],
    [2, 'last line before the kill'],
  ]);
});
