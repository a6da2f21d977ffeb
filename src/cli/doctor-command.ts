import { createRuntime } from '../runtime';
import { formatDoctorTable, runDoctor } from './doctor';

/** Prints the doctor table; exit code 1 when any check found a problem. */
export async function doctorCommand(opts: { url?: string; json?: boolean }): Promise<number> {
  const runtime = await createRuntime();
  try {
    const rows = await runDoctor({
      config: runtime.config,
      registry: runtime.integrations,
      publicUrl: opts.url,
      organizationSigningSecret: runtime.env.SLACK_SIGNING_SECRET,
    });
    process.stdout.write(opts.json ? `${JSON.stringify(rows)}\n` : `${formatDoctorTable(rows)}\n`);
    return rows.every((r) => r.ok) ? 0 : 1;
  } finally {
    await runtime.close();
  }
}
