/**
 * One incident, run by its runbook: open (channel, invites, notifications,
 * thread), keep it updated (updates into the thread, reminders when the
 * channel goes quiet), and close it (summary, archive, retrospective).
 *
 * Each Slack effect is an idempotent activity with a key derived from the
 * step, so a crash or retry never repeats one.
 */
import {
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  setCurrentDetails,
  workflowInfo,
  ParentClosePolicy,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { renderTemplate, type TemplateContext } from '../../src/runbook/template';
import { evaluateWhen } from '../../src/runbook/condition';
import { formatDuration } from '../../src/runbook/duration';
import { reminderIntervalFor, type RunbookStep } from '../../src/runbook/types';
import { describeStep } from '../../src/runbook/describe';
import { SA } from '../../src/temporal/search-attributes';
import { incidentResolveSignal, incidentSeveritySignal, incidentStateQuery, incidentUpdateSignal } from '../messages';
import type { approval } from '../approval/workflow';
import { toBlockKit } from './blocks';
import { channelLink, escapeMrkdwn as esc, userMention } from '../../src/slack/mrkdwn';

/**
 * Template values that are Slack markup composed by this workflow from
 * escaped parts and checked ids (so a mention in them works); every other
 * value (inputs, updates, step outputs) is text from outside and is escaped.
 */
const MARKUP_VALUES = new Set(['resolution.summary']);
/** A channel link made by a Create Channel step (`<#C…>`): code-built from a checked id, so it stays a link. */
const isChannelLink = (text: string, name: string) => (name === 'incident.channelLink' || /^steps\.[^.]+\.link$/.test(name)) && /^<#[CG][A-Z0-9]+>$/.test(text);
const asMrkdwnValue = (text: string, name: string) => (MARKUP_VALUES.has(name) || isChannelLink(text, name) ? text : esc(text));
import { incidentDetails } from '../../src/temporal/details';
import type { IncidentInput, IncidentState, IncidentUpdate, TimelineEntry } from './types';

const SLACK_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
} as const;
const slack = proxyActivities<Activities>(SLACK_OPTIONS);
/** Lookups in the worker's own configuration: no I/O beyond the process, so local activities. */
const config = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

/** What the Temporal UI's timeline says each step's Slack call is doing. */
const STEP_VERBS: Record<RunbookStep['op'], string> = {
  createChannel: 'creating the incident channel',
  sendMessage: 'posting a message',
  createThread: 'opening the updates thread',
  updateMessage: 'updating a message',
  addUsers: 'inviting people',
  setTopic: 'setting the channel topic',
  pinMessage: 'pinning a message',
  addBookmark: 'bookmarking a link',
  archiveChannel: 'archiving the channel',
  scheduleMessage: 'scheduling a message',
  wait: 'waiting',
  requestApproval: 'asking for approval',
};

/** Past this many events the workflow continues as new, carrying its state. */
const HISTORY_LIMIT = 8_000;

export async function incident(input: IncidentInput): Promise<IncidentState> {
  const info = workflowInfo();
  const runbook = input.runbook;
  const now = () => Date.now();
  const iso = (ms = now()) => new Date(ms).toISOString();

  const state: IncidentState = {
    workflowId: info.workflowId,
    runbook: runbook.name,
    status: input.carried ? 'open' : 'opening',
    integration: input.carried?.integration ?? '',
    incident: { ...(input.carried?.incident ?? input.incident) },
    steps: input.carried?.steps ?? {},
    timeline: input.carried?.timeline ?? [],
    openedAt: input.carried?.openedAt ?? now(),
    lastUpdateAt: input.carried?.lastUpdateAt ?? now(),
    updates: input.carried?.updates ?? 0,
    reminders: input.carried?.reminders ?? 0,
    severityChanges: input.carried?.severityChanges ?? [],
    threadTs: input.carried?.threadTs,
    threadChannel: input.carried?.threadChannel,
    lastReminderAt: input.carried?.lastReminderAt,
  };
  const note = (kind: TimelineEntry['kind'], text: string, by?: string) => {
    state.timeline.push({ at: iso(), kind, text, by });
    // The Temporal UI's "Current Details": the incident as it stands now.
    setCurrentDetails(incidentDetails(state));
  };

  const pendingUpdates: IncidentUpdate[] = [];
  const pendingSeverity: Array<{ severity: string; by?: string }> = [];
  let resolveRequest: { summary?: string; resolvedBy?: string } | undefined;
  let lastEvent: 'update' | 'resolved' | undefined;

  setHandler(incidentStateQuery, () => state);
  setHandler(incidentUpdateSignal, (update) => {
    pendingUpdates.push(update);
    lastEvent = 'update';
  });
  setHandler(incidentSeveritySignal, (change) => {
    pendingSeverity.push(change);
  });
  setHandler(incidentResolveSignal, (request) => {
    resolveRequest ??= request;
    lastEvent = 'resolved';
  });

  const context = (extra: TemplateContext = {}): TemplateContext => ({ incident: state.incident, steps: state.steps, ...extra });

  /**
   * The incident channel by ID once it exists: `#incident-42` would cost a
   * conversations.list lookup (a rate-limited tier) on every step.
   */
  const channelRef = (rendered: string): string =>
    state.incident.channelId && state.incident.channel && rendered.trim().replace(/^#/, '') === state.incident.channel ? state.incident.channelId : rendered;

  if (!input.carried) {
    upsertSearchAttributes([
      { key: SA.kind, value: 'incident' },
      { key: SA.status, value: 'open' },
      { key: SA.incidentId, value: state.incident.id ?? info.workflowId },
      ...(state.incident.severity ? [{ key: SA.severity, value: state.incident.severity }] : []),
      ...(state.incident.service ? [{ key: SA.service, value: state.incident.service }] : []),
      ...(runbook.project ? [{ key: SA.project, value: runbook.project }] : []),
    ]);
    // Which integration the runbook uses is a configuration lookup with no Slack call: a local
    // activity saves a task-queue round trip before the first step. Incidents that began before
    // this change recorded a regular activity here and replay down the old path.
    const where = { project: runbook.project, connector: runbook.connector };
    state.integration = patched('resolve-integration-locally') ? await config.resolveIntegration(where) : await slack.resolveIntegration(where);
    note('opened', `Incident opened with runbook ${runbook.name}`, input.openedBy);
  }

  /**
   * Runs one step; returns false when the section must stop (a rejected
   * approval). A step that fails (Slack refused it after Temporal's retries,
   * or a value its templates need is missing) is recorded in the timeline and
   * the runbook goes on: the incident must keep taking updates and resolve.
   */
  async function runStep(step: RunbookStep, pass: string, extra: TemplateContext): Promise<boolean> {
    try {
      return await runStepOrThrow(step, pass, extra);
    } catch (err) {
      if (isCancellation(err)) throw err;
      note('error', `${stepTitle(step, extra)}: failed: ${failureMessage(err)}`);
      return true;
    }
  }

  /** The step as the runbook reads (`Create Channel #incident-inc-1`), for the timeline. */
  function stepTitle(step: RunbookStep, extra: TemplateContext): string {
    const ctx = context(extra);
    return describeStep(step, {
      render: (t) => {
        try {
          return renderTemplate(t, ctx);
        } catch {
          return undefined;
        }
      },
      channelName: (ref) => (state.incident.channel && (ref === state.incident.channelId || ref.replace(/^#/, '') === state.incident.channel) ? state.incident.channel : undefined),
    });
  }

  async function runStepOrThrow(step: RunbookStep, pass: string, extra: TemplateContext): Promise<boolean> {
    const ctx = context(extra);
    if (step.when && !evaluateWhen(step.when, ctx)) {
      note('step_skipped', `${stepTitle(step, extra)}: skipped (When ${step.when})`);
      return true;
    }
    const r = (t: string) => renderTemplate(t, ctx);
    /** For Slack message text and mrkdwn blocks: the runbook's markup, with every value escaped. */
    const m = (t: string) => renderTemplate(t, ctx, { value: asMrkdwnValue });
    const rc = (t: string) => channelRef(r(t));
    const key = `${pass}/${step.key}`;
    // This step's Slack calls carry a summary, so the UI's timeline reads like the runbook.
    const slack = proxyActivities<Activities>({ ...SLACK_OPTIONS, summary: `${step.key}: ${STEP_VERBS[step.op]}` });
    const integration = state.integration;
    let outputs: Record<string, string | string[]> = {};
    switch (step.op) {
      case 'createChannel': {
        const channel = await slack.createChannel({
          integration,
          name: r(step.name),
          isPrivate: step.private,
          purpose: step.description ? r(step.description) : undefined,
          ownedSince: Math.floor(state.openedAt / 1000) - 60,
        });
        state.incident.channel = channel.name;
        state.incident.channelId = channel.id;
        // Slack links a channel only as <#C…>: built here from the ID Slack gave, for templates.
        state.incident.channelLink = channelLink(channel.id);
        outputs = { channel: channel.id, name: channel.name, link: channelLink(channel.id) };
        if (step.addUsers.length) {
          const users = step.addUsers.map(r);
          try {
            const invited = await slack.inviteUsers({ integration, channel: channel.id, users });
            if (invited.failed.length) note('error', `${stepTitle(step, extra)}: could not invite ${invited.failed.map((f) => `${f.user} (${f.error})`).join(', ')}`);
          } catch (err) {
            // The channel exists: it is this step's outcome, and later steps need it. The invites
            // are a problem of their own. Runs that failed here before this change replay as failed.
            if (isCancellation(err) || !patched('channel-done-when-invites-fail')) throw err;
            note('error', `${stepTitle(step, extra)}: could not invite ${users.join(', ')}: ${failureMessage(err)}`);
          }
        }
        break;
      }
      case 'sendMessage':
      case 'createThread': {
        const posted = await slack.postMessage({
          integration,
          channel: rc(step.channel),
          text: m(step.text),
          blocks: toBlockKit(step.blocks, m, { renderPlain: r, message: step.text }) as never,
          threadTs: step.op === 'sendMessage' && step.threadTs ? r(step.threadTs) : undefined,
          replyBroadcast: step.op === 'sendMessage' ? step.broadcast : undefined,
          idempotencyKey: key,
          metadata: { incident: state.incident.id ?? '' },
        });
        if (step.op === 'createThread' && step.threadUpdates) {
          state.threadTs = posted.ts;
          state.threadChannel = posted.channel;
        }
        outputs = { channel: posted.channel, ts: posted.ts };
        break;
      }
      case 'updateMessage': {
        const channel = rc(step.channel);
        const ts = r(step.ts);
        await slack.updateMessage({ integration, channel, ts, text: m(step.text), blocks: toBlockKit(step.blocks, m, { renderPlain: r, message: step.text }) as never });
        outputs = { channel, ts };
        break;
      }
      case 'addUsers': {
        const result = await slack.inviteUsers({ integration, channel: rc(step.channel), users: step.users.map(r) });
        if (result.failed.length) note('error', `${stepTitle(step, extra)}: could not invite ${result.failed.map((f) => `${f.user} (${f.error})`).join(', ')}`);
        outputs = { channel: rc(step.channel) };
        break;
      }
      case 'setTopic':
        await slack.setChannelTopic({ integration, channel: rc(step.channel), topic: r(step.topic) });
        outputs = { channel: rc(step.channel) };
        break;
      case 'pinMessage':
        await slack.pinMessage({ integration, channel: rc(step.channel), ts: r(step.ts) });
        outputs = { channel: rc(step.channel), ts: r(step.ts) };
        break;
      case 'addBookmark':
        await slack.addBookmark({ integration, channel: rc(step.channel), title: r(step.title), link: r(step.link), emoji: step.emoji });
        outputs = { channel: rc(step.channel) };
        break;
      case 'archiveChannel':
        await slack.archiveChannel({ integration, channel: rc(step.channel) });
        outputs = { channel: rc(step.channel) };
        break;
      case 'scheduleMessage': {
        const postAt = Math.floor((now() + step.afterMs) / 1000);
        const scheduled = await slack.scheduleMessage({ integration, channel: rc(step.channel), text: m(step.text), postAt, blocks: toBlockKit(step.blocks, m, { renderPlain: r, message: step.text }) as never });
        outputs = { channel: rc(step.channel), scheduledMessageId: scheduled.scheduledMessageId, postAt: String(postAt) };
        break;
      }
      case 'wait': {
        if (step.durationMs !== undefined) {
          await sleep(step.durationMs, { summary: `${step.key}: waiting ${formatDuration(step.durationMs)}` });
          outputs = { event: 'timeout' };
        } else {
          const wanted = step.event;
          const happened = () => (wanted === 'resolved' ? resolveRequest !== undefined : lastEvent === 'update');
          if (wanted === 'update') lastEvent = undefined;
          const ok = step.timeoutMs !== undefined ? await condition(happened, step.timeoutMs) : (await condition(happened), true);
          outputs = { event: ok ? wanted : 'timeout' };
        }
        break;
      }
      case 'requestApproval': {
        const result = await executeChild<typeof approval>('approval', {
          workflowId: `${info.workflowId}-approval-${step.key.replace(/[^A-Za-z0-9._-]+/g, '_')}-${pass.replace(/[^A-Za-z0-9._-]+/g, '_')}`,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          args: [
            {
              pipeline: runbook.name,
              stage: step.key,
              execution: state.incident.id ?? info.workflowId,
              summary: r(step.text),
              approverGroups: step.approverGroups,
              minApprovals: step.minApprovals,
              timeout: `${step.timeoutMs}ms`,
              onTimeout: step.onTimeout,
              destination: { channel: step.channel ? r(step.channel) : `#${state.incident.channel}`, integration },
            },
          ],
        });
        const approved = result.status === 'approved' || (result.status === 'expired' && step.onTimeout === 'approve');
        outputs = { status: approved ? 'approved' : result.status === 'expired' ? 'expired' : result.status, approvedBy: result.decisions.filter((d) => d.verb === 'approve').map((d) => d.user.id) };
        note('step', `${stepTitle(step, extra)}: approval ${outputs.status}`);
        if (step.id) state.steps[step.id] = outputs;
        return approved || step.onReject === 'continue';
      }
    }
    if (step.id) state.steps[step.id] = outputs;
    note('step', `${stepTitle(step, extra)}: done`);
    return true;
  }

  async function runSection(steps: RunbookStep[], pass: string, extra: TemplateContext = {}) {
    for (const step of steps) {
      if (!(await runStep(step, pass, extra))) {
        note('step', `Stopped the remaining ${pass === 'open' ? 'opening' : pass.startsWith('update') ? 'update' : 'resolution'} steps after ${stepTitle(step, extra)}`);
        return;
      }
    }
  }

  if (!input.carried) {
    await runSection(runbook.steps, 'open');
    state.status = 'open';
    state.lastUpdateAt = now();
  }

  /** Where updates and reminders go: the update thread, else the incident channel, else nowhere (a runbook without a channel). */
  const updateTarget = (): { channel: string; threadTs?: string } | undefined =>
    state.threadTs && state.threadChannel
      ? { channel: state.threadChannel, threadTs: state.threadTs }
      : state.incident.channelId || state.incident.channel
        ? { channel: state.incident.channelId ?? `#${state.incident.channel}`, threadTs: undefined }
        : undefined;

  /** Posts an incident event; a post Slack refuses is recorded, never fatal to the incident. */
  async function postEvent(target: { channel: string; threadTs?: string } | undefined, text: string, idempotencyKey: string): Promise<void> {
    if (!target) return;
    try {
      await slack.postMessage({ integration: state.integration, ...target, text, idempotencyKey });
    } catch (err) {
      if (isCancellation(err)) throw err;
      note('error', `${idempotencyKey}: could not post: ${failureMessage(err)}`);
    }
  }

  while (!resolveRequest) {
    const interval = reminderIntervalFor(runbook.reminders, state.incident.severity);
    // Silence is counted from the last update; the next reminder from the last update or reminder.
    const quietFor = now() - Math.max(state.lastUpdateAt, state.lastReminderAt ?? 0);
    const timeout = interval !== undefined ? Math.max(1, interval - quietFor) : undefined;
    const woke =
      timeout !== undefined
        ? await condition(() => pendingUpdates.length > 0 || pendingSeverity.length > 0 || resolveRequest !== undefined, timeout, {
            summary: `Waiting for an update (reminder in ${formatDuration(timeout)})`,
          })
        : (await condition(() => pendingUpdates.length > 0 || pendingSeverity.length > 0 || resolveRequest !== undefined), true);

    while (pendingSeverity.length) {
      const change = pendingSeverity.shift()!;
      const from = state.incident.severity ?? 'unset';
      if (change.severity === from) continue;
      state.incident.severity = change.severity;
      state.severityChanges.push({ from, to: change.severity, at: iso(), by: change.by });
      state.lastUpdateAt = now(); // the reminder timer re-arms on a severity change
      upsertSearchAttributes([{ key: SA.severity, value: change.severity }]);
      note('severity', `Severity ${from} → ${change.severity}`, change.by);
      await postEvent(
        updateTarget(),
        `:rotating_light: Severity changed from *${esc(from)}* to *${esc(change.severity)}*${change.by ? ` by ${userMention(change.by)}` : ''}`,
        `severity-${state.severityChanges.length}`,
      );
    }
    while (pendingUpdates.length) {
      const update = pendingUpdates.shift()!;
      state.updates += 1;
      state.lastUpdateAt = now();
      note('update', update.text, update.author);
      await postEvent(updateTarget(), `:memo: *Update ${state.updates}*${update.author ? ` from ${userMention(update.author)}` : ''}: ${esc(update.text)}`, `update-${state.updates}`);
      await runSection(runbook.onUpdate, `update-${state.updates}`, { update: { text: update.text, author: update.author ?? '' } });
    }
    if (!woke && runbook.reminders && interval !== undefined) {
      state.reminders += 1;
      const silence = formatDuration(now() - state.lastUpdateAt);
      const reminderCtx = context({ reminder: { silence, interval: formatDuration(interval) } });
      note('reminder', `No update for ${silence}: reminded the channel`);
      state.lastReminderAt = now();
      try {
        // A reminder channel of its own gets a top-level message: the updates thread lives elsewhere.
        const target = runbook.reminders.channel ? { channel: channelRef(renderTemplate(runbook.reminders.channel, reminderCtx)) } : updateTarget();
        await postEvent(target, renderTemplate(runbook.reminders.text, reminderCtx, { value: asMrkdwnValue }), `reminder-${state.reminders}`);
      } catch (err) {
        if (isCancellation(err)) throw err;
        note('error', `reminder-${state.reminders}: ${failureMessage(err)}`);
      }
    }
    if (!resolveRequest && (workflowInfo().historyLength > HISTORY_LIMIT || workflowInfo().continueAsNewSuggested)) {
      log.info('continuing as new', { historyLength: workflowInfo().historyLength });
      const { workflowId: _w, runbook: _r, status: _s, resolvedBy: _b, resolvedAt: _a, ...carry } = state;
      await continueAsNew<typeof incident>({ ...input, carried: carry });
    }
  }

  state.status = 'resolving';
  const resolvedAt = now();
  state.resolvedAt = iso(resolvedAt);
  state.resolvedBy = resolveRequest.resolvedBy;
  note('resolved', resolveRequest.summary ?? 'Resolved', resolveRequest.resolvedBy);
  upsertSearchAttributes([{ key: SA.status, value: 'resolved' }]);
  const duration = formatDuration(resolvedAt - state.openedAt);
  const summary = [
    `Incident ${esc(state.incident.id ?? '')} resolved after ${duration}${state.resolvedBy ? ` by ${userMention(state.resolvedBy)}` : ''}.`,
    `Severity: ${esc(state.severityChanges.length ? state.severityChanges.map((c) => `${c.from} → ${c.to}`).join(', ') : (state.incident.severity ?? 'unset'))}.`,
    `Updates: ${state.updates}; reminders: ${state.reminders}.`,
    resolveRequest.summary ? `Summary: ${esc(resolveRequest.summary)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  await runSection(runbook.onResolve, 'resolve', {
    resolution: { summary, resolvedBy: state.resolvedBy ?? '', resolvedAt: state.resolvedAt, duration },
  });
  state.status = 'resolved';
  return state;
}

/** What went wrong, for the timeline: an activity's cause (Slack's explanation) rather than the wrapper. */
function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause && typeof e.cause === 'object' && 'message' in e.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

