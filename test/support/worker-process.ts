/**
 * A Signalroom worker in its own process, for tests that kill it (SIGKILL)
 * mid-run and start it again. Configured by the environment:
 *   SIGNALROOM_TEST_TEMPORAL_ADDRESS, SIGNALROOM_TEST_NAMESPACE, SIGNALROOM_TEST_WORKFLOW_BUNDLE
 *   SIGNALROOM_TASK_QUEUE
 *   SLACK_API_URL, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (the sandbox)
 *   SIGNALROOM_TEST_APPROVER_GROUPS (optional): the configuration's approverGroups, as JSON
 * Prints `ready` once it is about to poll.
 * Started by `startWorkerProcess` (test/support/worker-child.ts).
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { ConfigSchema } from '../../src/config/schema';
import { IntegrationRegistry } from '../../src/slack/integrations';
import { createWorker } from '../../src/worker';

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const integrations = new IntegrationRegistry(
    ConfigSchema.parse({
      slack: { organization: { botToken: env('SLACK_BOT_TOKEN'), signingSecret: env('SLACK_SIGNING_SECRET'), apiUrl: env('SLACK_API_URL') } },
      approverGroups: JSON.parse(process.env.SIGNALROOM_TEST_APPROVER_GROUPS ?? '{}'),
    }),
    { timeoutMs: 3000 },
  );
  const connection = await NativeConnection.connect({ address: env('SIGNALROOM_TEST_TEMPORAL_ADDRESS') });
  const worker = await createWorker({
    connection,
    namespace: process.env.SIGNALROOM_TEST_NAMESPACE ?? 'default',
    taskQueue: env('SIGNALROOM_TASK_QUEUE'),
    activityDeps: { integrations },
    workflowBundle: { codePath: env('SIGNALROOM_TEST_WORKFLOW_BUNDLE') },
  });
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
