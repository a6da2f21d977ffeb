/** What every bench shares: its names in Temporal and Slack, its options, and how a run is written down. */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machineInfo, type MachineInfo } from './machine';
import { markdownTable, type Row } from './stats';

export const ROOT = path.resolve(__dirname, '..');
export const RESULTS = path.join(__dirname, 'RESULTS.md');
/** Signalroom's worker and the bare baseline worker each poll their own task queue. */
export const PROD_QUEUE = 'bench-signalroom';
export const BARE_QUEUE = 'bench-bare';
/** The sandbox's #deploys, where approval cards go. */
export const DEPLOYS = 'C0DEPLOYS';
/** carol and dave decide; alice clicks too, and is refused. */
export const APPROVER_GROUPS = { release: { users: ['U0CAROL', 'U0DAVE'] } };

/**
 * The benches click as one person, many times a second, on the same runs: the
 * server's per-person click throttle (3, then one every 10 s) is raised so
 * each measured click reaches the workflow.
 */
export const ONE_CLICKER_BURST = 1_000_000;

/** `--name=value` from the command line. */
export const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
export const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const HEADER = `# Benchmark results

Appended by \`npm run bench\` (\`bench/run.ts\`), \`npm run bench:topology\` and
\`npm run bench:floor\`, newest last. Every figure is a ratio against a baseline
measured in the same run on the same machine, with p50 and p99 and the raw
numbers beside it. Latencies are milliseconds of wall time on loopback.
`;

/** Appends one run's section to RESULTS.md: what ran, on what machine and commit, under which load, its table and notes. */
export function appendResults(run: { title: string; startedMs: number; how: string; rows: readonly Row[]; notes: readonly string[]; machine?: MachineInfo }): void {
  const m = run.machine ?? machineInfo(ROOT);
  const note = arg('note');
  const section = [
    `## ${m.date.slice(0, 16).replace('T', ' ')} UTC — ${run.title}${note ? ` — ${note}` : ''}`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memory} RAM; Node ${m.node}; ${m.os}`,
    `- Commit: ${m.commit}`,
    `- Run: ${Math.round((Date.now() - run.startedMs) / 1000)} s, load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}; ${run.how}`,
    '',
    markdownTable(run.rows),
    '',
    ...run.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
  if (!existsSync(RESULTS)) writeFileSync(RESULTS, HEADER);
  appendFileSync(RESULTS, `\n${section}`);
  log(`appended to ${path.relative(ROOT, RESULTS)}`);
}
