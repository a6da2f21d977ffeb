/**
 * `signalroom review …`: the review a break-glass opens (README,
 * "Break-glass"), read and signed off straight against Temporal or, with
 * `--api`, through the HTTP API: the same lines, JSON and exit codes either way.
 *
 * Exit codes:
 *   `show`: 0 signed off · 4 still open · 5 failed, or an error
 *   `sign-off`: 0 recorded · 5 refused, or an error
 *   every command: 64 bad usage
 */
import type { Command } from 'commander';
import { ApiCallError, ApiUsageError, SignalroomApi, withApiOptions } from './api-client';
import { onDemand } from './on-demand';
import { SignOffUsageError, type ReviewOutcome, type ReviewsPort, type ReviewView } from '../reviews/port';
import { mrkdwnToPlain } from '../../core/slack/mrkdwn';
import { MAX_NOTE_LENGTH } from '../../core/holds/review';

export const REVIEW_EXIT = { 'signed-off': 0, open: 4, failed: 5 } as const;
const EXIT_ERROR = 5;
const EXIT_USAGE = 64;

class UsageError extends Error {}

type Ending = { review: Pick<ReviewView, 'status'> } | { outcome: Pick<ReviewOutcome, 'accepted'> } | { error: unknown };

function exitCodeOf(ending: Ending): number {
  if ('review' in ending) return REVIEW_EXIT[ending.review.status];
  if ('outcome' in ending) return ending.outcome.accepted ? 0 : EXIT_ERROR;
  const { error } = ending;
  const usage =
    error instanceof UsageError ||
    error instanceof ApiUsageError ||
    error instanceof SignOffUsageError ||
    (error instanceof ApiCallError && (error.status === 400 || error.status === 422));
  return usage ? EXIT_USAGE : EXIT_ERROR;
}

/** Runs a command against the port the options choose; usage problems exit 64, anything else that goes wrong 5. */
async function run(opts: { api?: string | boolean; token?: string }, prepare: () => (reviews: ReviewsPort) => Promise<Ending>): Promise<void> {
  let ending: Ending;
  try {
    const command = prepare();
    const api = SignalroomApi.fromEnvironment(opts);
    ending = api ? await command(api.reviews) : await overTemporal(command);
  } catch (err) {
    process.stderr.write(`signalroom review: ${(err as Error).message}\n`);
    ending = { error: err };
  }
  process.exitCode = exitCodeOf(ending);
}

/** Straight against Temporal (the connection from the environment): no configuration is read, the workflow judges. */
function overTemporal<T>(command: (reviews: ReviewsPort) => Promise<T>): Promise<T> {
  const { ReviewService } = onDemand.reviewsService();
  return onDemand.temporal().withTemporalClient((client) => command(onDemand.reviewsPort().reviewsOverTemporal(new ReviewService(client))));
}

const who = (user: { id: string; name?: string }) => (user.name ? `${user.name} (${user.id})` : user.id);
const byWhom = (by: { token?: string; operator?: string } | undefined) => (by?.token ? ` (token ${by.token})` : by?.operator ? ` (operator ${by.operator})` : '');

/** What `show` prints: the status and the break-glass, then who reviews, who was told, refusals, the sign-off and problems. */
export function reviewLines(r: ReviewView): string[] {
  const bg = r.breakGlass;
  const lines = [
    `${r.id}: ${r.status}${r.status === 'failed' ? ` — ${r.reason ?? 'no reason given'}` : ''}`,
    `  ${r.pipeline} › ${r.stage} (${r.execution}): glass broken by ${bg.by}${byWhom(bg.caller)} at ${bg.at}: ${bg.reason}`,
    `  Overrode: ${bg.overrode.length ? bg.overrode.join(', ') : 'no hold (its approvers only)'}`,
    `  Reviewers: ${Object.entries(r.reviewers).map(([g, people]) => `${g} (${people.join(', ') || 'nobody'})`).join('; ') || r.reviewerGroups.join(', ')}`,
  ];
  if (r.notified.approvers.length || r.notified.incidentChannels.length) lines.push(`  Told: ${[...r.notified.approvers, ...r.notified.incidentChannels].join(', ')}`);
  if (r.status === 'open') lines.push(`  Open since ${r.openedAt}; ${r.reminders} reminder${r.reminders === 1 ? '' : 's'}`);
  for (const f of r.refused) lines.push(`  Refused sign-off from ${who(f.user)}${byWhom(f.by)} via ${f.via}: ${mrkdwnToPlain(f.why)}`);
  if (r.signedOff) lines.push(`  Signed off by ${who(r.signedOff.user)}${byWhom(r.signedOff.by)} via ${r.signedOff.via} at ${r.signedOff.at}${r.signedOff.note ? `: ${r.signedOff.note}` : ''}`);
  for (const p of r.problems ?? []) lines.push(`  Problem: ${p}`);
  if (r.message?.permalink) lines.push(`  In Slack: ${r.message.permalink}`);
  return lines;
}

export function registerReviewCommands(program: Command): void {
  const review = program.command('review').description('Read and sign off the review a break-glass opens (exit codes: show 0 signed off, 4 open; sign-off 0 recorded, 5 refused)');

  withApiOptions(review.command('show <approval-id>'))
    .description('Show the break-glass review of an approval (exit 0 signed off, 4 still open, 5 failed)')
    .option('--json', 'print the review as JSON')
    .action((approvalId: string, opts) =>
      run(opts, () => async (reviews) => {
        const r = await reviews.get(approvalId);
        process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : reviewLines(r).map((l) => `${l}\n`).join(''));
        return { review: r };
      }),
    );

  withApiOptions(review.command('sign-off <approval-id>'))
    .description('Sign off the break-glass review of an approval, as a reviewer other than whoever broke the glass (exit 0 recorded, 5 refused)')
    .option('--note <text>', 'what the review found (shown on the review message)')
    .option('--as <user>', 'the Slack user ID signing off (through the API: defaults to the token\u2019s own user)')
    .option('--json', 'print the outcome as JSON')
    .action((approvalId: string, opts) =>
      run(opts, () => {
        if (typeof opts.note === 'string' && opts.note.length > MAX_NOTE_LENGTH) throw new UsageError(`--note is at most ${MAX_NOTE_LENGTH} characters`);
        return async (reviews) => {
          const outcome = await reviews.signOff(approvalId, { user: opts.as, note: opts.note });
          process.stdout.write(opts.json ? `${JSON.stringify(outcome)}\n` : `${mrkdwnToPlain(outcome.message)}\n`);
          return { outcome };
        };
      }),
    );
}
