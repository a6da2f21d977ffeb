import { rmSync } from 'node:fs';
import type { RunningDevServer } from '../../src/temporal/dev-server';
import { scanForSecrets } from './secrets-scan';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __signalroomDevServer?: RunningDevServer }).__signalroomDevServer;
  let failure: Error | undefined;
  if (server && process.env.SIGNALROOM_TEST_RUN_DIR) {
    // Design rule 1, checked over everything the whole suite ran.
    const report = await scanForSecrets(server.address, process.env.SIGNALROOM_TEST_RUN_DIR);
    process.stdout.write(`\nSecrets scan: ${report.workflows} workflow histories, memos and search attributes checked, ${report.findings.length} secrets found.\n`);
    if (report.findings.length) failure = new Error(`Secrets in Temporal:\n${report.findings.map((f) => `  ${f.workflowId}: ${f.what}`).join('\n')}`);
  }
  await server?.stop();
  if (process.env.SIGNALROOM_TEST_RUN_DIR) rmSync(process.env.SIGNALROOM_TEST_RUN_DIR, { recursive: true, force: true });
  if (failure) throw failure;
}
