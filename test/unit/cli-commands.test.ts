/** The `signalroom` command line: every command is listed, and a command that names its group loads only that group. */
import { buildProgram, main } from '../../src/cli/main';

const GROUPS = ['approval', 'runbook', 'incident', 'review', 'cluster', 'github', 'freeze'];

test('the help lists every command', () => {
  const help = buildProgram(['node', 'signalroom', '--help']).helpInformation();
  for (const name of ['dev', 'worker', 'server', 'doctor', 'manifest', ...GROUPS, 'setup', 'install-link', 'sandbox', 'github-standin']) expect(help).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
});

test.each(GROUPS)('`signalroom %s …` registers its own group and no other', (group) => {
  const names = buildProgram(['node', 'signalroom', group, 'x']).commands.map((c) => c.name());
  expect(names.filter((n) => GROUPS.includes(n))).toEqual([group]);
  expect(names).toContain('dev');
});

test('`signalroom runbook …` has all of its subcommands, `list` among them', () => {
  const runbook = buildProgram(['node', 'signalroom', 'runbook', 'list']).commands.find((c) => c.name() === 'runbook');
  expect(runbook?.commands.map((c) => c.name()).sort()).toEqual(['list', 'schema', 'validate']);
});

test('a misspelt command exits 64 and suggests the one meant', async () => {
  let stderr = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    expect(await main(['node', 'signalroom', 'aproval'])).toBe(64);
  } finally {
    spy.mockRestore();
  }
  expect(stderr).toContain("unknown command 'aproval'");
  expect(stderr).toContain('(Did you mean approval?)');
});
