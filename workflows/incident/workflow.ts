/**
 * One incident, run by its runbook: open (channel, invites, notifications,
 * thread), keep it updated (updates into the thread, reminders when the
 * channel goes quiet), and close it (summary, archive, retrospective).
 *
 * The workflow is a small interpreter: IncidentRun holds the run's state,
 * the handlers are registered at the top, and each step is run by its kind
 * (core/runbook/steps/registry.ts). Each Slack effect is an idempotent
 * activity with a key derived from the step, so a crash or retry never
 * repeats one.
 */
import {
  allHandlersFinished,
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
  ApplicationFailure,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { renderTemplate, type PlaceholderPosition, type TemplateContext } from '../../core/runbook/template';
import { evaluateWhen } from '../../core/runbook/condition';
import { formatDuration } from '../../core/runbook/duration';
import { reminderIntervalFor, type IncidentEvent, type RunbookSection, type RunbookStep } from '../../core/runbook/types';
import { kindOf } from '../../core/runbook/steps/registry';
import type { StepResult, StepRuntime } from '../../core/runbook/steps/kind';
import { SA } from '../search-attributes';
import { SLACK_OPTIONS } from '../activity-options';
import { failureMessage } from '../../core/failure';
import { incidentHoldNoteSignal, incidentResolveSignal, incidentRoleUpdate, incidentSeveritySignal, incidentStateQuery, incidentTaskClickSignal, incidentTaskUpdate, incidentUpdateSignal } from '../messages';
import type { IncidentHoldNote } from '../../core/holds/types';
import { actionItemLine, actionItemMessage } from '../../core/slack/blocks/action-item';
import { clickMismatch, type SlackClickSignal } from '../../core/click';
import { peopleIn, postmortemMarkdown } from '../../core/incident/postmortem';
import type { approval } from '../approval/workflow';
import type { ApprovalResult } from '../../core/approval/types';
import { toBlockKit } from '../../core/incident/blocks';
import { channelLink, escapeMrkdwn as esc, mrkdwnValue, USER_ID, userMention } from '../../core/slack/mrkdwn';
import { audienceOf } from '../../core/incident/audience';
import { describeStep } from '../../core/runbook/describe';
import { reservedInputsIn, reservedInputsProblem } from '../../core/runbook/reserved-inputs';
import { LostTaskWatch, postTogether, stepSlack } from './local-steps';
import { postsTogether } from '../../core/runbook/steps/post-together';

/**
 * Template values that are Slack markup composed by this workflow from
 * escaped parts and checked ids (so a mention in them works); every other
 * value (inputs, updates, step outputs) is text from outside and is escaped.
 */
const MARKUP_VALUES = new Set(['resolution.summary']);
/** A channel link made by a Create Channel step (`<#C…>`): code-built from a checked id, so it stays a link. */
const isChannelLink = (text: string, name: string) => (name === 'incident.channelLink' || /^steps\.[^.]+\.link$/.test(name)) && /^<#[CG][A-Z0-9]+>$/.test(text);
const asMrkdwnValue = (text: string, name: string, position: PlaceholderPosition) =>
  position === 'text' && (MARKUP_VALUES.has(name) || isChannelLink(text, name)) ? text : mrkdwnValue(text, name, position);
import { incidentDetails } from '../../core/details';
import { MAX_DEPLOY_NOTES, type ActionItem, type IncidentCaller, type IncidentInput, type IncidentPending, type IncidentState, type IncidentUpdate, type ResolveRequest, type RoleRequest, type SeverityChangeRequest, type TaskRequest, type TimelineEntry } from '../../core/incident/types';

const slack = proxyActivities<Activities>(SLACK_OPTIONS);
/** Names for the postmortem: worth a few tries, never worth holding the incident up. */
const directory = proxyActivities<Activities>({ ...SLACK_OPTIONS, retry: { ...SLACK_OPTIONS.retry, maximumAttempts: 3 } });
/** Lookups in the worker's own configuration: no I/O beyond the process, so local activities. */
const config = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });
/** Telling the hold board what the incident holds (activities/holds.ts). */
const holds = proxyActivities<Activities>({ ...SLACK_OPTIONS, summary: 'Telling the hold board what this incident holds' });

/** Past this many events the workflow continues as new, carrying its state. */
const HISTORY_LIMIT = 8_000;

/**
 * The change that runs runbook Slack steps as local activities
 * (./local-steps.ts). It is decided once, as the run starts: a `patched()`
 * call made just after a local activity's result can be replayed in an
 * earlier workflow task than it ran in (when a query came with the task, the
 * SDK completes the task before handing the result over, and a replay hands
 * it over at once), and then finds no marker there: the run could no longer
 * be replayed. test/integration/incidents/local-steps.test.ts records such a
 * history and replays it.
 */
const LOCAL_STEPS = 'runbook-steps-local';

/**
 * The changes made to this workflow before LOCAL_STEPS. A run that has
 * LOCAL_STEPS was started by code that had them all, so it has them without
 * asking: their `patched()` calls come after local activities' results now,
 * where they could not be replayed (see LOCAL_STEPS). Runs from before
 * LOCAL_STEPS ask as they always did. A change made after it is asked where
 * no local activity's result comes just before, e.g. as the run starts.
 */
const CHANGES_BEFORE_LOCAL_STEPS: ReadonlySet<string> = new Set([
  'refuse-reserved-inputs',
  'resolve-integration-locally',
  'incident-change-access',
  'resolve-action-item-owner',
  'apply-pending-before-resolve',
  'open-action-items-on-resolve',
  'postmortem-names',
  'channel-done-when-invites-fail',
]);

export async function incident(input: IncidentInput): Promise<IncidentState> {
  const run = new IncidentRun(input);
  setHandler(incidentStateQuery, () => run.state);
  setHandler(incidentUpdateSignal, (update) => run.receiveUpdate(update));
  setHandler(incidentSeveritySignal, (change) => run.receiveSeverity(change));
  setHandler(incidentResolveSignal, (request) => run.receiveResolve(request));
  setHandler(incidentTaskUpdate, (request) => run.handleTask(request), { validator: (request) => run.validateTask(request) });
  setHandler(incidentTaskClickSignal, (click) => run.handleTaskClick(click));
  setHandler(incidentRoleUpdate, (request) => run.handleRole(request), { validator: validateRole });
  setHandler(incidentHoldNoteSignal, (note) => run.receiveHoldNote(note));
  return await run.execute();
}

function validateRole(request: RoleRequest): void {
  if (request.role !== 'commander') throw new Error('role must be commander');
  if (typeof request.user !== 'string' || !USER_ID.test(request.user)) throw new Error('the commander must be a Slack user id like U0123ABCD');
}

type SectionValues = TemplateContext;

class IncidentRun {
  readonly state: IncidentState;
  private readonly pendingUpdates: IncidentUpdate[];
  private readonly pendingSeverity: SeverityChangeRequest[];
  private resolveRequest: ResolveRequest | undefined;
  /** What happened last, for `Wait For: update`. */
  private lastEvent: 'update' | 'resolved' | undefined;
  /** The hold board must hear again (a new commander). */
  private holdsDirty = false;
  /** Requests for exceptions to post in the incident's channel, and how many were posted. */
  private readonly deployPosts: string[] = [];
  private deployPostCount = 0;
  /** Whether a step's local Slack call may repeat one a lost workflow task made (./local-steps.ts). */
  private readonly lostTasks = new LostTaskWatch();
  /** Runbook Slack steps run as local activities (LOCAL_STEPS): decided as the run starts, before any activity. */
  private readonly localSteps = patched(LOCAL_STEPS);

  constructor(private readonly input: IncidentInput) {
    const carried = input.carried;
    const now = Date.now();
    this.state = {
      workflowId: workflowInfo().workflowId,
      runbook: input.runbook.name,
      status: carried ? 'open' : 'opening',
      integration: carried?.integration ?? '',
      incident: { ...(carried?.incident ?? input.incident) },
      steps: carried?.steps ?? {},
      timeline: carried?.timeline ?? [],
      openedAt: carried?.openedAt ?? now,
      lastUpdateAt: carried?.lastUpdateAt ?? now,
      updates: carried?.updates ?? 0,
      reminders: carried?.reminders ?? 0,
      severityChanges: carried?.severityChanges ?? [],
      threadTs: carried?.threadTs,
      threadChannel: carried?.threadChannel,
      lastReminderAt: carried?.lastReminderAt,
      actionItems: carried?.actionItems ?? [],
      approvals: carried?.approvals ?? [],
      members: carried?.members ?? [],
      people: carried?.people ?? {},
      ...(carried?.holdsOn ? { holdsOn: true, holding: carried.holding ?? [], holdSeq: carried.holdSeq ?? 0, deploys: carried.deploys ?? [] } : {}),
      ...(carried?.commander ? { commander: carried.commander } : {}),
    };
    // What the previous run received but had not applied when it continued as new.
    this.pendingUpdates = [...(carried?.pending?.updates ?? [])];
    this.pendingSeverity = [...(carried?.pending?.severity ?? [])];
    this.resolveRequest = carried?.pending?.resolve;
  }

  // ---- handlers: they only record; the main loop applies ----

  receiveUpdate(update: IncidentUpdate): void {
    this.pendingUpdates.push(update);
    this.lastEvent = 'update';
  }

  receiveSeverity(change: SeverityChangeRequest): void {
    this.pendingSeverity.push(change);
  }

  receiveResolve(request: ResolveRequest): void {
    this.resolveRequest ??= request;
    this.lastEvent = 'resolved';
  }

  // ---- deploys: what it holds, its commander, what approvals tell it ----

  /** A new commander: recorded, announced, and told to the hold board (who may grant exceptions). */
  async handleRole(request: RoleRequest): Promise<{ role: 'commander'; user: string }> {
    const before = this.state.commander;
    if (before === request.user) return { role: 'commander', user: request.user };
    this.state.commander = request.user;
    this.addMembers([request.user]);
    this.note('role', `Commander: ${userMention(request.user)}${before ? ` (was ${userMention(before)})` : ''}`, request.by, request.caller);
    if (this.state.holding?.length) this.holdsDirty = true;
    const target = this.updateTarget();
    if (target) await this.postEvent(target, `:man_in_tuxedo: ${userMention(request.user)} is now the incident commander${request.by ? ` (set by ${userMention(request.by)})` : ''}.`, `commander-${this.state.timeline.length}`);
    return { role: 'commander', user: request.user };
  }

  /** An approval this incident holds (or held) tells what happened to it: the timeline and the postmortem keep it. */
  receiveHoldNote(note: IncidentHoldNote): void {
    if (!this.state.holdsOn) return;
    const deploys = (this.state.deploys ??= []);
    // The approval's own "lifted" after the incident noted it on resolving says nothing new.
    const last = [...deploys].reverse().find((d) => d.approvalId === note.approvalId);
    if (note.event === 'lifted' && last?.event === 'lifted') return;
    deploys.push({ approvalId: String(note.approvalId).slice(0, 600), event: note.event, text: String(note.text).slice(0, 1000), ...(note.by ? { by: String(note.by).slice(0, 32) } : {}), at: String(note.at).slice(0, 40) });
    if (deploys.length > MAX_DEPLOY_NOTES) deploys.splice(0, deploys.length - MAX_DEPLOY_NOTES);
    this.note('deploy', String(note.text).slice(0, 1000), note.by);
    // A request for an exception is for the commander, who reads the incident's channel (bounded by the approval: once per person, ten in all).
    if (note.event === 'exception-requested' && this.deployPosts.length < 20) this.deployPosts.push(String(note.text).slice(0, 1000));
  }

  /** Posts what approvals asked of the incident's people, in its updates thread. */
  private async postDeployNotes(): Promise<void> {
    while (this.deployPosts.length) {
      const text = this.deployPosts.shift()!;
      this.deployPostCount += 1;
      try {
        await this.postEvent(this.updateTarget(), text, `deploy-${this.state.timeline.length}-${this.deployPostCount}`);
      } catch (err) {
        if (isCancellation(err)) throw err;
        this.note('error', `deploy note: ${failureMessage(err)}`);
      }
    }
  }

  /** The approvals this incident held that no note says were decided or lifted: resolving lifts them. */
  private noteLifted(): void {
    const ended = new Set((this.state.deploys ?? []).filter((d) => d.event !== 'held' && d.event !== 'exception-requested').map((d) => d.approvalId));
    const held = [...new Set((this.state.deploys ?? []).filter((d) => d.event === 'held').map((d) => d.approvalId))].filter((id) => !ended.has(id));
    for (const approvalId of held) this.receiveHoldNote({ approvalId, event: 'lifted', text: `${esc(approvalId)} is no longer held: the incident is resolved`, at: new Date().toISOString() });
  }

  /**
   * Tells the hold board what this incident holds now under configuration
   * `deploys.holds`: on opening, once its channel exists, on a severity
   * change, a new commander, and on resolving (nothing).
   */
  private async reportHolds(open: boolean): Promise<void> {
    this.holdsDirty = false;
    if (!this.state.holdsOn) return;
    const inc = this.state.incident;
    const scopes = await config.incidentHoldScopes({ severity: inc.severity, service: inc.service, open });
    const was = this.state.holding ?? [];
    if (!scopes.length && !was.length) return;
    this.state.holdSeq = (this.state.holdSeq ?? 0) + 1;
    const label = `${inc.id ?? this.state.workflowId}${inc.severity || inc.service ? ` (${[inc.severity, inc.service].filter(Boolean).join(', ')})` : ''}`;
    await holds.reportHold({
      source: 'incident',
      id: this.state.workflowId,
      seq: this.state.holdSeq,
      scopes,
      label,
      ...(inc.channelId ? { channel: inc.channelId } : {}),
      ...(this.state.integration ? { integration: this.state.integration } : {}),
      ...(this.state.commander ? { commander: this.state.commander } : {}),
    });
    const what = (list: typeof scopes) => list.map((s) => `${s.stages.join(', ')} of ${s.services.join(', ')}`).join('; ');
    if (what(scopes) !== what(was)) this.note('deploy', scopes.length ? `Holds deploys: ${esc(what(scopes))}` : 'No longer holds deploys');
    this.state.holding = scopes;
  }

  // ---- action items ----

  private get items(): ActionItem[] {
    return (this.state.actionItems ??= []);
  }

  /** Refuses a request before it is recorded in history: an empty text, an unknown or closed item, a resolved incident. */
  validateTask(request: TaskRequest): void {
    // While resolving, the open items' messages are being marked resolved: an item added or closed now would be left behind.
    if (this.state.status === 'resolved' || this.state.status === 'resolving') throw new Error('the incident is resolved');
    if (request.action === 'add') {
      if (!request.text?.trim()) throw new Error('an action item needs text');
      return;
    }
    const item = this.items.find((i) => i.id === request.item);
    if (!item) throw new Error(`no action item #${request.item} (items: ${this.items.map((i) => `#${i.id}`).join(', ') || 'none'})`);
    if (item.status === 'done') throw new Error(`action item #${item.id} is already done${item.doneBy ? ` (by ${item.doneBy})` : ''}`);
  }

  async handleTask(request: TaskRequest): Promise<ActionItem> {
    // Before the runbook has opened the incident there is no integration or channel to post in.
    await condition(() => this.state.status !== 'opening');
    // A person asked: an owner Slack does not know is refused, so they can name them again.
    if (request.action === 'add') return await this.addActionItem({ channel: this.incidentChannel(), text: request.text.trim(), owner: request.owner, by: request.by, caller: request.caller, unknownOwner: 'refuse' });
    const item = this.items.find((i) => i.id === request.item)!;
    if (item.status === 'open') await this.closeActionItem(item, request.by, request.caller);
    return item;
  }

  /** The Done button. Only a responder, or someone the incident added, may close an item: authorization lives here, not in who can see the message. */
  async handleTaskClick(click: SlackClickSignal): Promise<void> {
    const where = { channel: click.provenance?.channelId ?? click.channelId, ts: click.provenance?.messageTs ?? click.messageTs };
    const item = this.items.find((i) => i.ts === where.ts && i.channel === where.channel);
    const tell = async (text: string) => {
      if (!click.responseUrl) return;
      try {
        await slack.respondToClick({ responseUrl: click.responseUrl, text, replaceOriginal: false, ephemeral: true });
      } catch (err) {
        if (isCancellation(err)) throw err;
      }
    };
    if (!item) return await tell('This is not an action item of this incident.');
    // Only a click the server verified as coming from this app, on this item's own message, counts.
    const mismatch = clickMismatch({ integration: this.state.integration, channel: item.channel, ts: item.ts }, click);
    if (mismatch) {
      this.note('error', `Action item #${item.id}: Done refused for ${click.user.id}: ${mismatch}`);
      return await tell(`That click was refused: ${mismatch}.`);
    }
    if (item.status === 'done') return await tell(`Action item #${item.id} is already done.`);
    // A responder group, or someone the incident added: being in a public channel is not enough (SECURITY.md).
    if (this.has('incident-change-access')) {
      const incidentId = this.state.incident.id ?? this.state.workflowId;
      const access = await slack.mayChangeIncident({ user: click.user.id, verb: 'close action items of', incident: audienceOf(incidentId, this.state) });
      if (!access.ok) {
        this.note('error', `Action item #${item.id}: Done refused for ${click.user.id}: ${access.why}`);
        return await tell(`Not done: ${esc(access.why)}.`);
      }
      // The button may have been pressed twice before the first press was applied.
      if (item.status === 'open') await this.closeActionItem(item, click.user.id);
      return;
    }
    const channel = this.state.incident.channelId;
    const member = channel ? await slack.isChannelMember({ integration: this.state.integration, channel, user: click.user.id }) : false;
    if (!member) {
      this.note('error', `Action item #${item.id}: Done refused for ${click.user.id}, who is not in the incident channel`);
      return await tell(`Only members of #${this.state.incident.channel ?? 'the incident channel'} can close its action items.`);
    }
    // The button may have been pressed twice before the first press was applied.
    if (item.status === 'open') await this.closeActionItem(item, click.user.id);
  }

  /**
   * Records an item and posts it. Its owner is looked up in Slack to be shown
   * as a mention; one Slack does not know is refused (`unknownOwner: 'refuse'`,
   * nothing recorded) or kept as written with a problem in the timeline.
   */
  private async addActionItem(input: { channel: string | undefined; text: string; owner?: string; by?: string; caller?: IncidentCaller; unknownOwner: 'refuse' | 'keep' }): Promise<ActionItem> {
    const owner = input.owner?.trim() || undefined;
    let ownerId: string | undefined;
    let ownerProblem: string | undefined;
    if (owner && this.has('resolve-action-item-owner')) {
      const found = await slack.resolveOwner({ integration: this.state.integration, owner }).catch((err) => {
        if (isCancellation(err)) throw err;
        return { ok: false as const, why: `Owner "${owner}" could not be looked up: ${failureMessage(err)}` };
      });
      if (found.ok) ownerId = found.id;
      else if (input.unknownOwner === 'refuse') throw ApplicationFailure.nonRetryable(`${found.why}: name the owner by Slack user ID, email or @handle (a person or a user group)`, 'UnknownOwner');
      else ownerProblem = found.why;
    }
    const item: ActionItem = {
      id: this.items.length + 1,
      text: input.text,
      status: 'open',
      addedAt: new Date().toISOString(),
      ...(owner && { owner }),
      ...(ownerId && { ownerId }),
      ...(input.by && { addedBy: input.by }),
    };
    this.items.push(item);
    this.note('action_item', `Action item #${item.id} added: ${item.text}${item.owner ? ` (owner ${item.owner})` : ''}`, input.by, input.caller);
    if (ownerProblem) this.note('error', `Action item #${item.id}: ${ownerProblem}; it is shown with the owner as written`);
    if (input.channel) {
      const message = actionItemMessage(item, this.state.workflowId);
      try {
        const posted = await slack.postMessage({ integration: this.state.integration, channel: input.channel, ...message, idempotencyKey: `action-item-${item.id}` });
        item.channel = posted.channel;
        item.ts = posted.ts;
      } catch (err) {
        if (isCancellation(err)) throw err;
        this.note('error', `action-item-${item.id}: could not post: ${failureMessage(err)}`);
      }
    }
    return item;
  }

  private async closeActionItem(item: ActionItem, by: string | undefined, caller?: IncidentCaller): Promise<void> {
    item.status = 'done';
    item.doneAt = new Date().toISOString();
    if (by) item.doneBy = by;
    this.note('action_item', `Action item #${item.id} done: ${item.text}`, by, caller);
    if (!item.channel || !item.ts) return;
    const message = actionItemMessage(item, this.state.workflowId);
    try {
      await slack.updateMessage({ integration: this.state.integration, channel: item.channel, ts: item.ts, ...message });
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.note('error', `action-item-${item.id}: could not update its message: ${failureMessage(err)}`);
    }
  }

  /** Each item still open loses its Done button and says the incident was resolved with it open. */
  private async markOpenItemsResolved(): Promise<void> {
    for (const item of this.items) {
      if (item.status !== 'open' || !item.channel || !item.ts) continue;
      const message = actionItemMessage(item, this.state.workflowId, { incidentResolved: true });
      try {
        await slack.updateMessage({ integration: this.state.integration, channel: item.channel, ts: item.ts, ...message });
      } catch (err) {
        if (isCancellation(err)) throw err;
        this.note('error', `action-item-${item.id}: could not mark it open at the resolve: ${failureMessage(err)}`);
      }
    }
  }

  /** Open items, one line each, for reminders and the resolve summary; empty when there are none. */
  private openItemsText(): string {
    const open = this.items.filter((i) => i.status === 'open');
    return open.length ? `Open action items: ${open.map(actionItemLine).join('; ')}.` : '';
  }

  private incidentChannel(): string | undefined {
    return this.state.incident.channelId ?? (this.state.incident.channel ? `#${this.state.incident.channel}` : undefined);
  }

  // ---- the lifecycle ----

  async execute(): Promise<IncidentState> {
    if (!this.input.carried) await this.open();
    while (!this.resolveRequest) {
      const woke = await this.waitForNews();
      await this.applyPending();
      await this.learnNames();
      if (!woke) await this.remind();
      if (!this.resolveRequest && this.historyIsLong()) await this.continueAsNew();
    }
    return await this.resolve(this.resolveRequest);
  }

  private async open(): Promise<void> {
    const { runbook } = this.input;
    if (patched('deploy-holds')) {
      this.state.holdsOn = true;
      this.state.holding = [];
      this.state.deploys = [];
      if (this.input.openedBy && USER_ID.test(this.input.openedBy)) this.state.commander = this.input.openedBy;
    }
    // Inputs the engine sets (the channel) are refused at every entry; a run started some other way fails here, before any effect.
    const reserved = reservedInputsIn(runbook, Object.keys(this.input.incident));
    if (reserved.length && this.has('refuse-reserved-inputs')) throw ApplicationFailure.nonRetryable(reservedInputsProblem(reserved), 'ReservedInput');
    upsertSearchAttributes([
      { key: SA.kind, value: 'incident' },
      { key: SA.status, value: 'open' },
      { key: SA.incidentId, value: this.state.incident.id ?? this.state.workflowId },
      ...(this.state.incident.severity ? [{ key: SA.severity, value: this.state.incident.severity }] : []),
      ...(this.state.incident.service ? [{ key: SA.service, value: this.state.incident.service }] : []),
      ...(runbook.project ? [{ key: SA.project, value: runbook.project }] : []),
    ]);
    // Which integration the runbook uses is a configuration lookup with no Slack call: a local
    // activity saves a task-queue round trip before the first step. Incidents that began before
    // this change recorded a regular activity here and replay down the old path.
    const where = { project: runbook.project, connector: runbook.connector };
    this.state.integration = this.has('resolve-integration-locally') ? await config.resolveIntegration(where) : await slack.resolveIntegration(where);
    this.note('opened', `Incident opened with runbook ${runbook.name}`, this.input.openedBy, this.input.caller);
    if (this.input.openedBy && USER_ID.test(this.input.openedBy)) this.addMembers([this.input.openedBy]);
    // Deploys are held from the start, before the runbook's first step: and again once its channel exists, to link it.
    await this.reportHolds(true);
    await this.runSection(runbook.steps, 'open', 'open');
    if (this.state.holding?.length) await this.reportHolds(true);
    await this.learnNames();
    this.state.status = 'open';
    this.state.lastUpdateAt = Date.now();
  }

  /** Until something arrives or the reminder is due; false when the reminder is due. */
  private async waitForNews(): Promise<boolean> {
    const interval = this.reminderInterval();
    // Silence is counted from the last update; the next reminder from the last update or reminder.
    const quietFor = Date.now() - Math.max(this.state.lastUpdateAt, this.state.lastReminderAt ?? 0);
    const news = () => this.pendingUpdates.length > 0 || this.pendingSeverity.length > 0 || this.resolveRequest !== undefined || this.holdsDirty || this.deployPosts.length > 0;
    if (interval === undefined) {
      await this.lostTasks.idle(() => condition(news));
      return true;
    }
    const timeout = Math.max(1, interval - quietFor);
    return await this.lostTasks.idle(() => condition(news, timeout, { summary: `Waiting for an update (reminder in ${formatDuration(timeout)})` }));
  }

  /** Severity changes first (they set the cadence), then every queued update. */
  private async applyPending(): Promise<void> {
    let severityChanged = false;
    while (this.pendingSeverity.length) severityChanged = (await this.applySeverity(this.pendingSeverity.shift()!)) || severityChanged;
    // A severity change may raise the incident into a held level, or below one: the board hears at once.
    if (severityChanged || this.holdsDirty) await this.reportHolds(true);
    await this.postDeployNotes();
    while (this.pendingUpdates.length) await this.applyUpdate(this.pendingUpdates.shift()!);
  }

  /** Applies until nothing is queued: what arrives while one is applied is applied too. */
  private async drainPending(): Promise<void> {
    while (this.pendingSeverity.length || this.pendingUpdates.length) await this.applyPending();
  }

  private async applySeverity(change: SeverityChangeRequest): Promise<boolean> {
    const from = this.state.incident.severity ?? 'unset';
    if (change.severity === from) return false;
    this.state.incident.severity = change.severity;
    this.state.severityChanges.push({ from, to: change.severity, at: new Date().toISOString(), by: change.by });
    this.state.lastUpdateAt = Date.now(); // the reminder timer re-arms on a severity change
    upsertSearchAttributes([{ key: SA.severity, value: change.severity }]);
    this.note('severity', `Severity ${from} → ${change.severity}`, change.by, change.caller);
    await this.postEvent(
      this.updateTarget(),
      `:rotating_light: Severity changed from *${esc(from)}* to *${esc(change.severity)}*${change.by ? ` by ${userMention(change.by)}` : ''}`,
      `severity-${this.state.severityChanges.length}`,
    );
    return true;
  }

  private async applyUpdate(update: IncidentUpdate): Promise<void> {
    this.state.updates += 1;
    this.state.lastUpdateAt = Date.now();
    this.note('update', update.text, update.author, update.caller);
    const n = this.state.updates;
    await this.postEvent(this.updateTarget(), `:memo: *Update ${n}*${update.author ? ` from ${userMention(update.author)}` : ''}: ${esc(update.text)}`, `update-${n}`);
    await this.runSection(this.input.runbook.onUpdate, 'update', `update-${n}`, { update: { text: update.text, author: update.author ?? '' } });
  }

  private async remind(): Promise<void> {
    const { reminders } = this.input.runbook;
    const interval = this.reminderInterval();
    if (!reminders || interval === undefined) return;
    this.state.reminders += 1;
    const silence = formatDuration(Date.now() - this.state.lastUpdateAt);
    const values = this.context({ reminder: { silence, interval: formatDuration(interval) } });
    this.note('reminder', `No update for ${silence}: reminded the channel`);
    this.state.lastReminderAt = Date.now();
    try {
      // A reminder channel of its own gets a top-level message: the updates thread lives elsewhere.
      const target = reminders.channel ? { channel: this.channelRef(renderTemplate(reminders.channel, values)) } : this.updateTarget();
      const open = this.openItemsText();
      await this.postEvent(target, renderTemplate(reminders.text, values, { value: asMrkdwnValue }) + (open ? `\n${open}` : ''), `reminder-${this.state.reminders}`);
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.note('error', `reminder-${this.state.reminders}: ${failureMessage(err)}`);
    }
  }

  private historyIsLong(): boolean {
    const info = workflowInfo();
    return info.historyLength > (this.input.historyLimit ?? HISTORY_LIMIT) || info.continueAsNewSuggested;
  }

  /**
   * Hands the incident to a fresh run. Nothing received may be lost: apply
   * what is queued, let every handler finish, and carry whatever arrived
   * after that (a signal in the same activation) to the next run.
   */
  private async continueAsNew(): Promise<never> {
    await this.drainPending();
    await condition(allHandlersFinished);
    log.info('continuing as new', { historyLength: workflowInfo().historyLength });
    const { workflowId: _w, runbook: _r, status: _s, resolvedBy: _b, resolvedAt: _a, ...carry } = this.state;
    const pending: IncidentPending = { updates: [...this.pendingUpdates], severity: [...this.pendingSeverity], resolve: this.resolveRequest };
    return await continueAsNew<typeof incident>({ ...this.input, carried: { ...carry, pending } });
  }

  private async resolve(request: ResolveRequest): Promise<IncidentState> {
    // Updates and severity changes that came with the resolve still count.
    if (this.pendingSeverity.length || this.pendingUpdates.length) {
      if (this.has('apply-pending-before-resolve')) await this.drainPending();
    }
    const state = this.state;
    state.status = 'resolving';
    const resolvedAt = Date.now();
    state.resolvedAt = new Date(resolvedAt).toISOString();
    state.resolvedBy = request.resolvedBy;
    this.note('resolved', request.summary ?? 'Resolved', request.resolvedBy, request.caller);
    // Resolving lifts its holds first: held deploys resume while the post-incident steps run. Holding nothing, there is nothing to lift.
    if (this.state.holding?.length) await this.reportHolds(false);
    if (this.state.holdsOn) this.noteLifted();
    upsertSearchAttributes([{ key: SA.status, value: 'resolved' }]);
    await this.learnNames();
    if (this.has('open-action-items-on-resolve')) await this.markOpenItemsResolved();
    const duration = formatDuration(resolvedAt - state.openedAt);
    const summary = [
      `Incident ${esc(state.incident.id ?? '')} resolved after ${duration}${state.resolvedBy ? ` by ${userMention(state.resolvedBy)}` : ''}.`,
      `Severity: ${esc(state.severityChanges.length ? state.severityChanges.map((c) => `${c.from} → ${c.to}`).join(', ') : (state.incident.severity ?? 'unset'))}.`,
      `Updates: ${state.updates}; reminders: ${state.reminders}.`,
      this.items.length ? `Action items: ${this.items.filter((i) => i.status === 'done').length} of ${this.items.length} done.` : '',
      this.openItemsText(),
      request.summary ? `Summary: ${esc(request.summary)}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    await this.runSection(this.input.runbook.onResolve, 'resolve', 'resolve', {
      resolution: { summary, resolvedBy: state.resolvedBy ?? '', resolvedAt: state.resolvedAt, duration },
    });
    state.status = 'resolved';
    return state;
  }

  // ---- the interpreter ----

  private async runSection(steps: RunbookStep[], section: RunbookSection, pass: string, values: SectionValues = {}): Promise<void> {
    for (let i = 0; i < steps.length; ) {
      // Consecutive posts are made together where they can be (LOCAL_STEPS); a post never stops a section.
      const together = this.localSteps ? postsTogether(steps, i) : [];
      if (together.length) {
        await this.runPosts(together, section, pass, values);
        i += together.length;
        continue;
      }
      const step = steps[i++];
      if (!(await this.runStep(step, section, pass, values))) {
        this.note('step', `Stopped the remaining ${section === 'open' ? 'opening' : section === 'update' ? 'update' : 'resolution'} steps after ${this.stepTitle(step, values)}`);
        return;
      }
    }
  }

  /**
   * Runs one step by its kind; false when the section must stop (a rejected
   * approval). A step that fails (Slack refused it after Temporal's retries,
   * or a value its templates need is missing) is recorded in the timeline and
   * the runbook goes on: the incident must keep taking updates and resolve.
   * `mayHaveRun`: its post may have been made already (see runPosts).
   */
  private async runStep(step: RunbookStep, section: RunbookSection, pass: string, values: SectionValues, mayHaveRun = false): Promise<boolean> {
    this.lostTasks.passing();
    try {
      if (step.when && !evaluateWhen(step.when, this.context(values))) {
        this.note('step_skipped', `${this.stepTitle(step, values)}: skipped (When ${step.when})`);
        return true;
      }
      const kind = kindOf(step);
      const result = await kind.run(step, this.runtimeFor(step, kind.verb, section, pass, values, mayHaveRun));
      return this.stepDone(step, values, result);
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.stepFailed(step, values, failureMessage(err));
      return true;
    }
  }

  private stepDone(step: RunbookStep, values: SectionValues, result: StepResult): boolean {
    if (step.id) this.state.steps[step.id] = result.outputs;
    this.note('step', `${this.stepTitle(step, values)}: ${result.label ?? 'done'}`);
    return !result.stop;
  }

  private stepFailed(step: RunbookStep, values: SectionValues, why: string): void {
    this.note('error', `${this.stepTitle(step, values)}: failed: ${why}`);
  }

  /**
   * Steps whose whole effect is one post, none using another's outputs
   * (core/runbook/steps/post-together.ts): each is rendered first, then one
   * local activity makes the posts in order, and each step is recorded as if
   * it had run alone. A post Slack refuses fails its step only. A post that a
   * retry may mend stops the activity: after the wait Slack asked for, it
   * and the rest run one by one, it looking first for itself.
   */
  private async runPosts(steps: RunbookStep[], section: RunbookSection, pass: string, values: SectionValues): Promise<void> {
    this.lostTasks.passing();
    const planned = steps.map((step) => {
      const kind = kindOf(step);
      const rt = this.runtimeFor(step, kind.verb, section, pass, values);
      try {
        return { step, post: kind.post!, rt, input: kind.post!.input(step, rt) };
      } catch (err) {
        return { step, post: kind.post!, rt, error: failureMessage(err) };
      }
    });
    const posts = planned.flatMap((p) => (p.input ? [p.input] : []));
    const summary = `${steps[0].key}…${steps[steps.length - 1].key}: posting ${posts.length} messages`;
    const result = posts.length ? await postTogether(summary, this.lostTasks, posts) : { done: [] };
    let next = 0;
    for (const [n, p] of planned.entries()) {
      if (p.error !== undefined) {
        this.stepFailed(p.step, values, p.error);
        continue;
      }
      const outcome = result?.done[next++];
      if (outcome && 'posted' in outcome) {
        try {
          this.stepDone(p.step, values, p.post.done(p.step, p.rt, outcome.posted));
        } catch (err) {
          this.stepFailed(p.step, values, failureMessage(err));
        }
        continue;
      }
      if (outcome) {
        this.stepFailed(p.step, values, outcome.refused);
        continue;
      }
      // Not done together: this post and the ones after it, one by one. This one may have been posted when
      // Slack did not answer it (and any of them, when the activity failed as a whole).
      if (result?.stopped?.retryAfterMs) await sleep(result.stopped.retryAfterMs, { summary: `${p.step.key}: Slack asked to wait` });
      for (const [k, rest] of planned.slice(n).entries()) await this.runStep(rest.step, section, pass, values, !result || (k === 0 && result.stopped?.mayHavePosted === true));
      return;
    }
  }

  /** The step as the runbook reads (`Create Channel #incident-inc-1`), for the timeline. */
  private stepTitle(step: RunbookStep, values: SectionValues): string {
    const ctx = this.context(values);
    const { channel, channelId } = this.state.incident;
    return describeStep(step, {
      render: (t) => {
        try {
          return renderTemplate(t, ctx);
        } catch {
          return undefined;
        }
      },
      channelName: (ref) => (channel && (ref === channelId || ref.replace(/^#/, '') === channel) ? channel : undefined),
    });
  }

  /** What a step may use while it runs: this run's state, and Temporal's durable primitives. */
  private runtimeFor(step: RunbookStep, verb: string, section: RunbookSection, pass: string, values: SectionValues, mayHaveRun = false): StepRuntime {
    const render = (t: string) => renderTemplate(t, this.context(values));
    /** For Slack message text and mrkdwn blocks: the runbook's markup, with every value escaped. */
    const mrkdwn = (t: string) => renderTemplate(t, this.context(values), { value: asMrkdwnValue });
    const info = workflowInfo();
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
    return {
      idempotencyKey: `${pass}/${step.key}`,
      section,
      integration: this.state.integration,
      incident: this.state.incident,
      incidentRef: this.state.incident.id ?? info.workflowId,
      runbookName: this.input.runbook.name,
      openedAt: this.state.openedAt,
      now: () => Date.now(),
      render,
      mrkdwn,
      channel: (t) => this.channelRef(render(t)),
      blocks: (blocks, message) => toBlockKit(blocks, mrkdwn, { renderPlain: render, message }),
      // This step's Slack calls carry a summary, so the UI's timeline reads like the runbook; they run
      // locally where that is safe (LOCAL_STEPS), and as regular activities in runs from before it.
      slack: this.localSteps ? stepSlack(`${step.key}: ${verb}`, this.lostTasks, { mayHaveRun }) : proxyActivities<Activities>({ ...SLACK_OPTIONS, summary: `${step.key}: ${verb}` }),
      noteError: (text) => this.note('error', `${this.stepTitle(step, values)}: ${text}`),
      patched: (id) => this.has(id),
      isCancellation: (err) => isCancellation(err),
      failureMessage,
      channelLink: (id) => channelLink(id),
      sleep: (ms, summary) => sleep(ms, { summary: `${step.key}: ${summary}` }),
      waitForEvent: (event, timeoutMs) => this.waitForEvent(event, timeoutMs),
      requestApproval: async (a) => {
        const result = await executeChild<typeof approval>('approval', {
          workflowId: `${info.workflowId}-approval-${safe(step.key)}-${safe(pass)}`,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          args: [
            {
              pipeline: this.input.runbook.name,
              stage: step.key,
              execution: this.state.incident.id ?? info.workflowId,
              summary: a.summary,
              approverGroups: a.approverGroups,
              minApprovals: a.minApprovals,
              timeoutMs: a.timeoutMs,
              onTimeout: a.onTimeout,
              // Whoever opened the incident asked for this approval: they may not approve it themselves
              // unless configuration allows self-approval (SECURITY.md, "The requester is one Slack user").
              ...(this.input.openedBy ? { requestedBy: this.input.openedBy } : {}),
              destination: { channel: a.channel, integration: this.state.integration },
            },
          ],
        });
        this.recordApproval(step.key, a.summary, result);
        return result;
      },
      // A runbook step: nobody is there to correct the owner, so the item is kept with the owner as written.
      addActionItem: (input) => this.addActionItem({ ...input, unknownOwner: 'keep' }),
      // In Slack, people are canvas mentions: Slack shows them as the person.
      postmortem: () => postmortemMarkdown(this.state, { mentions: true }),
      addMembers: (userIds) => this.addMembers(userIds),
      useThreadForUpdates: (channel, ts) => {
        this.state.threadTs = ts;
        this.state.threadChannel = channel;
      },
    };
  }

  /** Keeps who decided an approval, when and why, for the postmortem. */
  private recordApproval(step: string, summary: string, result: ApprovalResult): void {
    (this.state.approvals ??= []).push({
      step,
      summary,
      status: result.status,
      ...(result.finishedAt && { finishedAt: result.finishedAt }),
      decisions: result.decisions.map((d) => ({
        verb: d.verb,
        user: d.user.id,
        ...(d.user.name && { name: d.user.name }),
        at: d.at,
        ...(d.reason && { reason: d.reason }),
        via: d.via,
        ...(d.by?.token ? { by: `token ${d.by.token}` } : d.by?.operator ? { by: `operator ${d.by.operator}` } : {}),
      })),
    });
  }

  private async waitForEvent(event: IncidentEvent, timeoutMs: number | undefined): Promise<boolean> {
    const happened = () => (event === 'resolved' ? this.resolveRequest !== undefined : this.lastEvent === 'update');
    if (event === 'update') this.lastEvent = undefined;
    if (timeoutMs === undefined) {
      await condition(happened);
      return true;
    }
    return await condition(happened, timeoutMs);
  }

  // ---- helpers ----

  /** Temporal's `patched()`, with the changes LOCAL_STEPS implies answered without asking. */
  private has(change: string): boolean {
    return (this.localSteps && CHANGES_BEFORE_LOCAL_STEPS.has(change)) || patched(change);
  }

  /**
   * Looks up the names of the people the incident names and has no name for
   * yet, so its postmortem read outside Slack (the CLI, the API) says
   * "Carol Chen", not "U0CAROL". Names are a courtesy: a failed lookup is
   * asked again next time and never holds the incident up.
   */
  private async learnNames(): Promise<void> {
    const people = (this.state.people ??= {});
    const unnamed = peopleIn(this.state).filter((id) => !(id in people) && !this.unnamed.has(id));
    if (!unnamed.length || !this.state.integration || !this.has('postmortem-names')) return;
    try {
      const found = await directory.namesOf({ integration: this.state.integration, ids: unnamed });
      for (const id of unnamed) {
        if (found[id]) people[id] = found[id];
        else this.unnamed.add(id); // Slack does not know them: not asked again by this run
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('could not look up names for the postmortem', { error: failureMessage(err) });
    }
  }

  /** Ids Slack knew no name for. */
  private readonly unnamed = new Set<string>();

  /** People the incident added itself: they may change it from Slack (src/incidents/command-access.ts). */
  private addMembers(userIds: readonly string[]): void {
    const members = (this.state.members ??= []);
    for (const id of userIds) if (!members.includes(id)) members.push(id);
  }

  /** Records what happened, who it names (`by`) and, for API and CLI writes, which token or operator made it. */
  private note(kind: TimelineEntry['kind'], text: string, by?: string, caller?: IncidentCaller): void {
    this.state.timeline.push({ at: new Date().toISOString(), kind, text, by, ...(caller && { caller }) });
    // The Temporal UI's "Current Details": the incident as it stands now.
    setCurrentDetails(incidentDetails(this.state));
  }

  private context(extra: TemplateContext = {}): TemplateContext {
    return { incident: this.state.incident, steps: this.state.steps, ...extra };
  }

  private reminderInterval(): number | undefined {
    return reminderIntervalFor(this.input.runbook.reminders, this.state.incident.severity);
  }

  /**
   * The incident channel by ID once it exists: `#incident-42` would cost a
   * conversations.list lookup (a rate-limited tier) on every step.
   */
  private channelRef(rendered: string): string {
    const { channel, channelId } = this.state.incident;
    return channelId && channel && rendered.trim().replace(/^#/, '') === channel ? channelId : rendered;
  }

  /** Where updates and reminders go: the update thread, else the incident channel, else nowhere (a runbook without a channel). */
  private updateTarget(): { channel: string; threadTs?: string } | undefined {
    const s = this.state;
    if (s.threadTs && s.threadChannel) return { channel: s.threadChannel, threadTs: s.threadTs };
    if (s.incident.channelId || s.incident.channel) return { channel: s.incident.channelId ?? `#${s.incident.channel}`, threadTs: undefined };
    return undefined;
  }

  /** Posts an incident event; a post Slack refuses is recorded, never fatal to the incident. */
  private async postEvent(target: { channel: string; threadTs?: string } | undefined, text: string, idempotencyKey: string): Promise<void> {
    if (!target) return;
    try {
      await slack.postMessage({ integration: this.state.integration, ...target, text, idempotencyKey });
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.note('error', `${idempotencyKey}: could not post: ${failureMessage(err)}`);
    }
  }
}
