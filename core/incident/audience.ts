/**
 * Who an incident added itself, and its channels: what the check of who may
 * change it (src/incidents/command-access.ts) needs from its state. Pure: the
 * incident workflow imports it for its Done buttons.
 */
import type { IncidentState } from './types';

export interface IncidentAudience {
  id: string;
  /** Slack user ids the incident added: its runbook's invites and its opener. */
  members: readonly string[];
  /** The incident's channel, and any other channel a Create Channel step made. */
  channels: readonly string[];
  /** The integration whose workspace holds the channels. @default the organization's */
  integration?: string;
}

/** An incident opened before Signalroom recorded its members counts its opener only. */
export function audienceOf(id: string, state: Pick<IncidentState, 'steps' | 'incident' | 'members' | 'timeline' | 'integration'>): IncidentAudience {
  const created = Object.values(state.steps)
    .filter((o) => typeof o.channel === 'string' && typeof o.name === 'string')
    .map((o) => o.channel as string);
  const channels = [...new Set([state.incident.channelId, ...created].filter((c): c is string => Boolean(c)))];
  const members = state.members ?? state.timeline.filter((e) => e.kind === 'opened' && e.by).map((e) => e.by!);
  return { id, members, channels, ...(state.integration && { integration: state.integration }) };
}
