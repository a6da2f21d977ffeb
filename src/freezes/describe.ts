/**
 * How a freeze reads for people — `signalroom freeze list` and
 * `/signalroom freeze list` print the same lines: its status and what it
 * holds, its schedule, and the window holding now and the next, each in its
 * zone and in UTC.
 */
import { describeSchedule, describeWindow, endingLine } from '../../core/holds/freeze';
import type { FreezeView } from './service';

/** The freeze's lines; `text` escapes what came from outside (the reason, who ended it) for where they are shown. */
export function describeFreeze(view: FreezeView, text: (s: string) => string = (s) => s): string[] {
  const lines = [`${view.name}: ${view.status}; holds ${view.stages.join(', ')} › ${view.services.join(', ')}: ${text(view.reason)}`, `  schedule  ${describeSchedule(view)}`];
  if (view.current) lines.push(`  now       ${describeWindow(view.current, view.timeZone)}`);
  const next = view.current ? view.next : (view.next ?? view.upcoming[0]);
  if (next) lines.push(`  next      ${describeWindow(next, view.timeZone)}`);
  if (view.ended) lines.push(`  ${text(endingLine(view.ended))}`);
  return lines;
}
