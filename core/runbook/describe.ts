/**
 * A step as the runbook reads: its operation and its target, e.g.
 * `Create Channel #incident-inc-1` or `Wait 24h`. The timeline, the CLI and
 * the API show this instead of the step's key (`open/1`), which nobody wrote.
 * Pure: safe to import from workflow code.
 */
import { normalizeChannelName } from '../slack/channel-names';
import { formatDuration } from './duration';
import { OPERATION_NAMES, type RunbookStep, type StepOperation } from './types';

const OPERATION_TITLES: Readonly<Record<StepOperation, string>> = Object.fromEntries(Object.entries(OPERATION_NAMES).map(([title, op]) => [op, title])) as Record<StepOperation, string>;

export interface StepTargetNames {
  /** Renders a template, or returns undefined when a value it needs is missing. */
  render(template: string): string | undefined;
  /** A channel's name when the workflow knows it (the incident channel by its ID). */
  channelName(idOrRef: string): string | undefined;
}

/** `#name` for a channel reference (`#name`, `name`, or an ID whose name is known); an unknown ID as it is. */
function channelText(ref: string, names: StepTargetNames): string {
  const rendered = names.render(ref) ?? ref;
  const known = names.channelName(rendered.trim());
  if (known) return `#${known}`;
  const trimmed = rendered.trim();
  return /^[CGD][A-Z0-9]{6,}$/.test(trimmed) ? trimmed : `#${trimmed.replace(/^#/, '')}`;
}

/** `Create Channel #incident-inc-1`, `Send Message #incidents`, `Wait 24h`, `Wait for resolved`. */
export function describeStep(step: RunbookStep, names: StepTargetNames, incidentChannel = '#[incident.channel]'): string {
  const title = OPERATION_TITLES[step.op];
  switch (step.op) {
    case 'createChannel': {
      const name = names.render(step.name);
      return `${title} #${name !== undefined ? normalizeChannelName(name) : step.name}`;
    }
    case 'wait':
      return step.durationMs !== undefined ? `${title} ${formatDuration(step.durationMs)}` : `${title} for ${step.event}`;
    case 'requestApproval':
      return `${title} ${channelText(step.channel ?? incidentChannel, names)}`;
    default:
      return `${title} ${channelText(step.channel, names)}`;
  }
}
