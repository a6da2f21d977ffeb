/**
 * The environment variables Signalroom reads, validated in one place so a
 * typo in a port gives a clear error at start rather than a strange failure later.
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().optional(),
  SIGNALROOM_CONFIG: z.string().optional(),
  SIGNALROOM_TASK_QUEUE: z.string().default('signalroom'),
  SIGNALROOM_DATA_DIR: z.string().default('data'),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_API_URL: z.string().url().optional(),
  /** The installation store's PostgreSQL (Slack OAuth installations, install links). */
  SIGNALROOM_DATABASE_URL: z.string().optional(),
  /** The same, as before SIGNALROOM_DATABASE_URL; `signalroom cluster` reads it for Temporal's PostgreSQL. */
  DATABASE_URL: z.string().optional(),
  PORT: port.default(3000),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_DEV_PORT: port.default(7233),
  SANDBOX_PORT: port.default(3030),
  /** Where `signalroom worker` serves Prometheus metrics; unset, it serves none. */
  SIGNALROOM_WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Where Slack reaches this server (OAuth redirect, manifest, doctor). @default http://127.0.0.1:$PORT */
  SIGNALROOM_PUBLIC_URL: z.string().url().optional(),
});

export type SignalroomEnv = z.infer<typeof EnvSchema>;

export class EnvError extends Error {
  readonly code = 'invalid_environment';
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): SignalroomEnv {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new EnvError(`Invalid environment variable(s):\n${problems.join('\n')}`);
  }
  return parsed.data;
}
