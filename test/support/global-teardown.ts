import { rmSync } from 'node:fs';
import type { RunningDevServer } from '../../src/temporal/dev-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __signalroomDevServer?: RunningDevServer }).__signalroomDevServer;
  await server?.stop();
  if (process.env.SIGNALROOM_TEST_RUN_DIR) rmSync(process.env.SIGNALROOM_TEST_RUN_DIR, { recursive: true, force: true });
}
