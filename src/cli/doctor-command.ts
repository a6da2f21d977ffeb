import { createRuntime } from '../runtime';
import { runningDev } from '../config/dev-file';
import { formatDoctorTable, runDoctor } from './doctor';

/**
 * Prints the doctor table; exit code 1 when any check found a problem.
 * Beside a running `signalroom dev` (its data/dev.json) with no Slack
 * configured, the organization integration is dev's sandbox, as for dev itself.
 */
export async function doctorCommand(opts: { url?: string; json?: boolean }): Promise<number> {
  const sandbox = runningDev()?.sandbox;
  const runtime = await createRuntime({ slackFallback: sandbox });
  try {
    const rows = await runDoctor({
      config: runtime.config,
      registry: runtime.integrations,
      publicUrl: opts.url,
      organizationSigningSecret: runtime.env.SLACK_SIGNING_SECRET ?? sandbox?.signingSecret,
      sandboxApiUrl: sandbox?.apiUrl,
    });
    process.stdout.write(opts.json ? `${JSON.stringify(rows)}\n` : `${formatDoctorTable(rows)}\n`);
    return rows.every((r) => r.ok) ? 0 : 1;
  } finally {
    await runtime.close();
  }
}
