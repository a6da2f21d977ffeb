import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { obtainTemporalCli, TemporalCliNotFoundError, TEMPORAL_CLI_VERSION } from '../../../src/temporal/cli-binary';

describe('obtaining the Temporal CLI', () => {
  const emptyCache = () => mkdtempSync(path.join(os.tmpdir(), 'sr-cache-'));

  test('uses TEMPORAL_CLI when it points at a working binary', async () => {
    const cli = process.env.SIGNALROOM_TEST_TEMPORAL_CLI!;
    const found = await obtainTemporalCli({ env: { TEMPORAL_CLI: cli, PATH: '' }, cacheDir: emptyCache(), log: () => {} });
    expect(found).toBe(cli);
  });

  test('with nothing to find, build or download, fails saying how to install it', async () => {
    const lines: string[] = [];
    // No PATH means no `temporal` and no `go`; download disabled.
    const attempt = obtainTemporalCli({
      env: { TEMPORAL_CLI: '/nonexistent/temporal', PATH: '/nonexistent' },
      cacheDir: emptyCache(),
      allowDownload: false,
      log: (l) => lines.push(l),
    });
    await expect(attempt).rejects.toBeInstanceOf(TemporalCliNotFoundError);
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toContain('TEMPORAL_CLI=/nonexistent/temporal (does not run)');
    expect(message).toContain(`go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`);
  });
});
