/**
 * Inputs the engine sets itself. A Create Channel step sets
 * `incident.channel`, `incident.channelId` and `incident.channelLink`; the
 * incident then posts its updates there and treats that channel as its own.
 * Given as inputs, they would point an incident at any channel (#general):
 * so they are refused wherever an incident is opened (the API, the CLI, the
 * slash command) and again by the workflow (SECURITY.md, "Inputs the engine
 * sets are not inputs").
 *
 * A runbook that creates no channel may declare `incident.channel` (or its
 * id) among its `inputs` to work in a channel it is given: there it is an
 * input like any other.
 *
 * Pure: the incident workflow imports it.
 */
import { CHANNEL_OUTPUTS, type Runbook } from './types';
import { kindOf } from './steps/registry';

/** The engine-set names among `given` (the incident record's keys, without `incident.`), as `incident.<name>`. */
export function reservedInputsIn(runbook: Runbook, given: Iterable<string>): string[] {
  const keys = new Set([...given].map((k) => k.replace(/^incident\./, '')));
  const createsChannel = [...runbook.steps, ...runbook.onUpdate, ...runbook.onResolve].some((s) => kindOf(s).channel === 'creates');
  return CHANNEL_OUTPUTS.filter((name) => keys.has(name.slice('incident.'.length)) && (createsChannel || !runbook.inputs.includes(name)));
}

/** Why the names cannot be given, for the API's 422, the CLI and the failed run alike. */
export function reservedInputsProblem(names: readonly string[]): string {
  return `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} set by the runbook itself (its Create Channel step), so ${names.length === 1 ? 'it is' : 'they are'} not accepted as inputs`;
}
