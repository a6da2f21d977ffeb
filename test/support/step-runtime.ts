/**
 * A StepRuntime without Temporal or Slack, for running one step kind in a
 * unit test: templates are rendered as the incident workflow renders them
 * (core/runbook/template.ts, values escaped in mrkdwn, runbook blocks as
 * Block Kit), and every call the step makes (its Slack activities, timers,
 * approvals, notes) is recorded in order with what it was given.
 *
 * The step is read from its file syntax (`{ Operation: 'Set Topic', Topic:
 * … }`) through the runbook schema and the kind's normalize, as a runbook
 * file would give it. `slack` holds only the activities the kind declares:
 * calling another fails the test.
 */
import type { Activities } from '../../activities';
import { StepSchema } from '../../core/runbook/schema';
import type { ActivityName, ApprovalOutcome, StepOutputs, StepResult, StepRuntime } from '../../core/runbook/steps/kind';
import { kindOfOperation, type StepActivities } from '../../core/runbook/steps/registry';
import { renderTemplate, type TemplateContext } from '../../core/runbook/template';
import type { IncidentEvent, RunbookSection, RunbookStep } from '../../core/runbook/types';
import { channelLink, mrkdwnValue } from '../../core/slack/mrkdwn';
import { toBlockKit } from '../../core/incident/blocks';

/** One thing the step did: `slack.postMessage`, `sleep`, `requestApproval`, `noteError`… and its argument(s). */
export interface RecordedCall {
  call: string;
  input: unknown;
}

type Answer<K extends ActivityName> = (input: Parameters<Activities[K]>[0]) => Awaited<ReturnType<Activities[K]>>;

export interface FakeRuntimeOptions {
  section?: RunbookSection;
  /** The incident record (inputs, and channel/channelId once a Create Channel ran). */
  incident?: Record<string, string>;
  /** Earlier steps' outputs, for `[steps.<id>.<output>]`. */
  steps?: Record<string, StepOutputs>;
  /** The section's own values, e.g. `{ resolution: { summary: '…' } }`. */
  values?: TemplateContext;
  /** What an activity answers, instead of the default below (none: it returns nothing); throw to fail it. */
  answers?: { [K in ActivityName]?: Answer<K> };
  /** What an approval answers (or an error it fails with). */
  approval?: ApprovalOutcome | Error;
  /** Whether each incident event happens before the Wait's timeout. */
  events?: Partial<Record<IncidentEvent, boolean>>;
  /** Temporal's patched() for recorded runs: true (a new run) unless said. */
  patched?: boolean;
  now?: number;
}

/** Plausible Slack answers, fixed so a test can name them. */
const DEFAULT_ANSWERS: { [K in ActivityName]?: Answer<K> } = {
  postMessage: (i) => ({ channel: i.channel, ts: '1700000000.000100' }),
  scheduleMessage: () => ({ scheduledMessageId: 'Q0SCHEDULED' }),
  createChannel: (i) => ({ id: 'C0INCIDENT', name: i.name }),
  inviteUsers: (i) => ({ invited: i.users, alreadyMembers: [], failed: [] }),
  prepareUpload: () => ({ fileId: 'F0UPLOAD', size: 5 }),
  shareUpload: (i) => ({ channel: i.channel, fileId: i.fileId }),
  createChannelCanvas: () => ({ canvasId: 'F0CANVAS', link: 'https://slack.example/docs/T0/F0CANVAS' }),
};

export const FAKE_INTEGRATION = 'organization';

/** Which activities each operation was seen calling, across the runs of a test file. */
export const ACTIVITIES_CALLED = new Map<string, Set<string>>();
export const FAKE_OPENED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

export interface FakeRun {
  step: RunbookStep;
  result: StepResult;
  calls: RecordedCall[];
  /** The Slack activities alone, in order. */
  slack: RecordedCall[];
  /** The incident record after the step (Create Channel sets the channel on it). */
  incident: Record<string, string>;
  /** The runtime the step ran with (to run a kind's `post` with it again). */
  runtime: StepRuntime<keyof StepActivities>;
}

/** Reads `source` as a runbook file's step (key `open/1`, or `<section>/<Id>`), and runs it through a fake runtime. */
export async function runStep(source: Record<string, unknown> & { Operation: string }, options: FakeRuntimeOptions = {}): Promise<FakeRun> {
  const kind = kindOfOperation(source.Operation);
  const section = options.section ?? 'open';
  const parsed = StepSchema.parse(source);
  const id = typeof source.Id === 'string' ? source.Id : undefined;
  const step = kind.normalize(parsed, { id, key: `${section}/${id ?? 1}` });
  const calls: RecordedCall[] = [];
  const incident = { ...(options.incident ?? { id: 'INC-7', title: 'Checkout is down', severity: 'SEV1', service: 'checkout' }) };
  const record = (call: string, input: unknown) => void calls.push({ call, input });

  const context = (): TemplateContext => ({ incident, steps: options.steps ?? {}, ...options.values });
  const render = (t: string) => renderTemplate(t, context());
  const mrkdwn = (t: string) => renderTemplate(t, context(), { value: mrkdwnValue });
  const answers = { ...DEFAULT_ANSWERS, ...options.answers } as Record<string, (input: unknown) => unknown>;
  const declared = new Set<string>(kind.activities);
  const slack = new Proxy({} as StepActivities, {
    get(_, name) {
      if (typeof name !== 'string' || !declared.has(name)) throw new Error(`${source.Operation} called activity ${String(name)}, which it does not declare in activities`);
      return async (input: unknown) => {
        record(`slack.${name}`, input);
        if (!ACTIVITIES_CALLED.has(source.Operation)) ACTIVITIES_CALLED.set(source.Operation, new Set());
        ACTIVITIES_CALLED.get(source.Operation)!.add(name);
        // An activity without an answer is one that returns nothing (setChannelPurpose, pinMessage…).
        return answers[name]?.(input);
      };
    },
  });

  const rt: StepRuntime<keyof StepActivities> = {
    idempotencyKey: `0/${step.key}`,
    section,
    integration: FAKE_INTEGRATION,
    incident,
    incidentRef: incident.id ?? 'incident-workflow',
    runbookName: 'unit',
    openedAt: FAKE_OPENED_AT,
    now: () => options.now ?? FAKE_OPENED_AT + 60_000,
    render,
    mrkdwn,
    // As the workflow does: the incident channel by its ID once it exists.
    channel: (t) => {
      const rendered = render(t);
      return incident.channelId && incident.channel && rendered.trim().replace(/^#/, '') === incident.channel ? incident.channelId : rendered;
    },
    blocks: (blocks, message) => toBlockKit(blocks, mrkdwn, { renderPlain: render, message }) as never,
    slack,
    noteError: (text) => record('noteError', text),
    patched: (patchId) => {
      record('patched', patchId);
      return options.patched ?? true;
    },
    failureMessage: (err) => (err instanceof Error ? err.message : String(err)),
    isCancellation: () => false,
    channelLink,
    sleep: async (ms, summary) => record('sleep', { ms, summary }),
    waitForEvent: async (event, timeoutMs) => {
      record('waitForEvent', { event, timeoutMs });
      return options.events?.[event] ?? false;
    },
    requestApproval: async (input) => {
      record('requestApproval', input);
      if (!options.approval) throw new Error('the fake runtime has no approval answer: give options.approval');
      if (options.approval instanceof Error) throw options.approval;
      return options.approval;
    },
    addActionItem: async (input) => {
      record('addActionItem', input);
      return { id: 1, channel: input.channel, ts: '1700000000.000200' };
    },
    postmortem: () => '# Postmortem: INC-7\n',
    useThreadForUpdates: (channel, ts) => record('useThreadForUpdates', { channel, ts }),
    addMembers: (userIds) => record('addMembers', [...userIds]),
  };

  const result = await kind.run(step, rt);
  return { step, result, calls, slack: calls.filter((c) => c.call.startsWith('slack.')), incident, runtime: rt };
}
