import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { freePort } from '../../../src/temporal/free-port';
import { startDevServer, type RunningDevServer } from '../../../src/temporal/dev-server';
import { SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes';

const exec = promisify(execFile);

// A dev server started without Signalroom's search attributes stands in for
// "any cluster": `signalroom setup` must register them, and running it again
// must change nothing.
describe('signalroom setup', () => {
  let server: RunningDevServer;
  beforeAll(async () => {
    server = await startDevServer({ cliPath: process.env.SIGNALROOM_TEST_TEMPORAL_CLI!, headless: true, port: await freePort(), withoutSearchAttributes: true });
  }, 60_000);
  afterAll(() => server?.stop());

  const setup = () =>
    exec(process.execPath, [path.resolve(__dirname, '../../../bin/signalroom.js'), 'setup'], {
      env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
    });

  test('registers every search attribute once, then reports them present', async () => {
    const first = await setup();
    // Counted from the one list, so a new attribute cannot leave this behind.
    const names = Object.keys(SEARCH_ATTRIBUTES);
    expect(names).toEqual(expect.arrayContaining(['SignalroomKind', 'SignalroomDecidedBy', 'SignalroomHeldBy', 'SignalroomBreakGlass']));
    expect(first.stdout).toContain(`added ${names.join(', ')}; already present 0`);
    const second = await setup();
    expect(second.stdout).toContain(`added none; already present ${names.length}`);
    const list = await exec(process.env.SIGNALROOM_TEST_TEMPORAL_CLI!, ['operator', 'search-attribute', 'list', '--address', server.address, '-o', 'json']);
    expect(list.stdout).toContain('SignalroomDecidedBy');
  });
});
