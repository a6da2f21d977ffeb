/**
 * The postmortem of an incident as Markdown, built only from the incident's
 * own record (its workflow state): what happened when, who decided what,
 * the action items and how long it took. Pure: the CLI, the API and the
 * Create Postmortem step (a Slack canvas) share it.
 */
import type { IncidentState, TimelineEntry } from './types';
import { mrkdwnToPlain, USER_GROUP_ID, USER_ID } from '../slack/mrkdwn';

export interface PostmortemOptions {
  /**
   * For a Slack canvas: people as canvas mentions (`![](@U…)`), which Slack
   * shows as the person, current and clickable. Otherwise (the CLI, the API:
   * read outside Slack) by the names the incident recorded from Slack's directory.
   * @default false
   */
  mentions?: boolean;
}

/**
 * The Slack user and user-group ids the postmortem names (who acted, owners,
 * deciders): the incident looks up their names while it runs (`people`).
 */
export function peopleIn(state: IncidentState): string[] {
  const ids = [
    state.resolvedBy,
    ...state.timeline.map((e) => e.by),
    ...(state.actionItems ?? []).flatMap((i) => [i.ownerId, i.doneBy, i.addedBy]),
    ...(state.approvals ?? []).flatMap((a) => a.decisions.map((d) => d.user)),
    state.commander,
    ...(state.deploys ?? []).map((d) => d.by),
  ];
  return [...new Set(ids.filter((id): id is string => typeof id === 'string' && (USER_ID.test(id) || USER_GROUP_ID.test(id))))];
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const parts = [Math.floor(s / 86400) && `${Math.floor(s / 86400)}d`, Math.floor((s % 86400) / 3600) && `${Math.floor((s % 86400) / 3600)}h`, Math.floor((s % 3600) / 60) && `${Math.floor((s % 3600) / 60)}m`, `${s % 60}s`];
  return parts.filter(Boolean).join(' ');
}

/** Markdown-safe text: a value from people never becomes a link, emphasis or a table (each sits mid-line, so # is harmless). */
function text(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/([\\`*_[\]|<>])/g, '\\$1');
}

const KIND_LABEL: Record<TimelineEntry['kind'], string> = {
  opened: 'Opened',
  step: 'Step',
  step_skipped: 'Skipped',
  update: 'Update',
  severity: 'Severity',
  reminder: 'Reminder',
  resolved: 'Resolved',
  action_item: 'Action item',
  error: 'Problem',
  role: 'Role',
  deploy: 'Deploy',
};

const DEPLOY_EVENT: Record<NonNullable<IncidentState['deploys']>[number]['event'], string> = {
  held: 'Held',
  'exception-requested': 'Exception asked',
  excepted: 'Exception granted',
  lifted: 'Lifted',
  decided: 'Decided',
  'break-glass': 'Break-glass',
};

export function postmortemMarkdown(state: IncidentState, options: PostmortemOptions = {}): string {
  /** A person (or user group) as the reader knows them; `fallback` when no name was recorded (as written, or Slack's handle). */
  const person = (id: string, fallback?: string): string => {
    if (options.mentions && USER_ID.test(id)) return `![](@${id})`;
    return text(state.people?.[id] ?? fallback ?? id);
  };
  const owner = (i: { owner?: string; ownerId?: string }): string => (i.ownerId ? person(i.ownerId, i.owner) : text(i.owner ?? ''));
  /** A timeline entry's text; an action item's note ends with its owner as written, shown as the reader knows them. */
  const entryText = (e: TimelineEntry): string => {
    const added = e.kind === 'action_item' ? /^Action item #(\d+) added: /.exec(e.text) : null;
    const item = added ? (state.actionItems ?? []).find((i) => i.id === Number(added[1])) : undefined;
    const suffix = item?.owner ? ` (owner ${item.owner})` : undefined;
    if (item?.ownerId && suffix && e.text.endsWith(suffix)) return `${text(e.text.slice(0, -suffix.length))} (owner ${owner(item)})`;
    return text(e.text);
  };
  const id = state.incident.id ?? state.workflowId;
  const title = state.incident.title ? `${id}: ${state.incident.title}` : id;
  const resolvedAt = state.resolvedAt ? Date.parse(state.resolvedAt) : undefined;
  const firstUpdate = state.timeline.find((e) => e.kind === 'update');
  const lines: string[] = [`# Postmortem: ${text(title)}`, ''];

  lines.push('## Summary', '');
  lines.push(`- Runbook: ${text(state.runbook)}`);
  if (state.incident.service) lines.push(`- Service: ${text(state.incident.service)}`);
  lines.push(`- Severity: ${state.severityChanges.length ? state.severityChanges.map((c) => `${text(c.from)} → ${text(c.to)}`).join(', ') : text(state.incident.severity ?? 'unset')}`);
  lines.push(`- Opened: ${new Date(state.openedAt).toISOString()}`);
  if (state.resolvedAt) lines.push(`- Resolved: ${state.resolvedAt}${state.resolvedBy ? ` by ${person(state.resolvedBy)}` : ''}`);
  else lines.push(`- Status: ${state.status} (not resolved yet)`);
  if (state.incident.description) lines.push(`- Impact: ${text(state.incident.description)}`);
  const resolution = [...state.timeline].reverse().find((e) => e.kind === 'resolved');
  if (resolution) lines.push(`- Resolution: ${text(resolution.text)}`);
  lines.push('');

  lines.push('## Durations', '');
  if (resolvedAt !== undefined) lines.push(`- Time to resolve: ${duration(resolvedAt - state.openedAt)}`);
  if (firstUpdate) lines.push(`- Time to first update: ${duration(Date.parse(firstUpdate.at) - state.openedAt)}`);
  lines.push(`- Updates: ${state.updates}; missed-update reminders: ${state.reminders}`, '');

  lines.push('## Timeline', '');
  for (const e of state.timeline) lines.push(`- ${e.at} — ${KIND_LABEL[e.kind]}: ${entryText(e)}${e.by ? ` (${person(e.by)})` : ''}`);
  lines.push('');

  const recorded = state.approvals ?? [];
  // Runs begun before approvals were recorded with their decisions have only the steps' outputs.
  const fromSteps = recorded.length ? [] : Object.entries(state.steps).filter(([, o]) => typeof o.status === 'string' && 'approvedBy' in o);
  if (recorded.length || fromSteps.length) {
    lines.push('## Approvals', '');
    for (const a of recorded) {
      lines.push(`- ${text(a.summary)} (${text(a.step)}): ${text(a.status)}${a.finishedAt ? ` at ${a.finishedAt}` : ''}`);
      if (!a.decisions.length) lines.push('  - nobody decided');
      for (const d of a.decisions) {
        const who = person(d.user, d.name);
        const how = `via ${d.via}${d.by ? `, ${text(d.by)}` : ''}`;
        lines.push(`  - ${d.at} — ${d.verb === 'approve' ? 'approved' : 'rejected'} by ${who} ${how}: ${d.reason ? `“${text(d.reason)}”` : 'no reason given'}`);
      }
    }
    for (const [step, o] of fromSteps) {
      const by = Array.isArray(o.approvedBy) ? o.approvedBy : [];
      lines.push(`- ${text(step)}: ${text(String(o.status))}${by.length ? ` by ${by.map((u) => person(u)).join(', ')}` : ''}`);
    }
    lines.push('');
  }

  const deploys = state.deploys ?? [];
  if (deploys.length || state.holding?.length) {
    // Every deploy the incident held, excepted, let through by break-glass or saw decided (README, "Deploys and incidents").
    lines.push('## Deploys during the incident', '');
    for (const d of deploys) lines.push(`- ${d.at} — ${DEPLOY_EVENT[d.event]}: ${text(mrkdwnToPlain(d.text))}${d.by ? ` (${person(d.by)})` : ''}`);
    if (!deploys.length) lines.push('No deploy was held.');
    lines.push('');
  }

  const items = state.actionItems ?? [];
  lines.push('## Action items', '');
  if (!items.length) lines.push('None recorded.');
  for (const i of items) {
    lines.push(`- [${i.status === 'done' ? 'x' : ' '}] #${i.id} ${text(i.text)}${i.owner ? ` (owner ${owner(i)})` : ''}${i.status === 'done' ? ` — done${i.doneBy ? ` by ${person(i.doneBy)}` : ''}${i.doneAt ? ` at ${i.doneAt}` : ''}` : ' — open'}`);
  }
  lines.push('', '## Lessons learned', '', '_What went well, what did not, and where we got lucky._', '');
  return lines.join('\n');
}
