/**
 * The approval stack for a test file (the shared server stack: sandbox Slack,
 * worker, the real HTTP server as the sandbox's Request URL) with the
 * approver groups, API tokens and incoming webhook the approval tests use,
 * and what they read off a card.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Message, Sandbox } from '../../src/sandbox';
import { serverStack, type ServerStack } from './server-stack';

export const CHANNEL = 'C0DEPLOYS';
export const API_TOKEN = 'approvals-test-token-0123456789';
export const READ_TOKEN = 'approvals-read-token-0123456789';

/**
 * carol and dave (@release-managers), alice (sre), and erin in no group.
 * `lenient` (bob) is the one group whose configuration allows self-approval
 * and approval on timeout.
 */
export const APPROVER_GROUPS = {
  release: { userGroups: ['@release-managers'] },
  sre: { users: ['U0ALICE'] },
  lenient: { users: ['U0BOB'], allowSelfApproval: true, allowApproveOnTimeout: true },
};

export type ApprovalStack = ServerStack;

/** @param options.approverGroups more approver groups, beside APPROVER_GROUPS */
export function approvalStack(options: { approverGroups?: Record<string, { users?: string[]; userGroups?: string[] }> } = {}): Promise<ApprovalStack> {
  return serverStack((sandbox) => ({
    slack: { webhooks: { deploys: sandbox.createIncomingWebhook(CHANNEL) } },
    approverGroups: { ...APPROVER_GROUPS, ...options.approverGroups },
    api: {
      tokens: [
        { name: 'ci', token: API_TOKEN, permissions: ['approvals:write', 'approvals:read', 'approvals:decide', 'approvals:decide-as-anyone'] },
        { name: 'dashboard', token: READ_TOKEN, permissions: ['approvals:read'] },
      ],
    },
  }));
}

export { eventually } from './eventually';

/**
 * For a test file that runs the CLI as separate processes: the approval stack
 * (opened before all its tests, closed after) and a scratch folder with a
 * signalroom.yaml naming these approver groups (YAML reads JSON).
 */
export function approvalCliStack(approverGroups: Record<string, object>): { readonly stack: ApprovalStack; dir: string; configFile: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-approval-cli-'));
  const configFile = path.join(dir, 'signalroom.yaml');
  writeFileSync(configFile, JSON.stringify({ approverGroups }));
  let stack: ApprovalStack | undefined;
  beforeAll(async () => {
    stack = await approvalStack();
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get stack() {
      if (!stack) throw new Error('the approval stack starts in beforeAll');
      return stack;
    },
    dir,
    configFile,
  };
}

let seq = 0;
/** An execution id unique within the run, so every test has its own approval (and card). */
export function uniqueExecution(prefix = 'run'): string {
  return `${prefix}-${Date.now().toString(36)}${(++seq).toString(36)}`;
}

/** The approval card of `execution` in the channel (top-level, not a thread reply). */
export function card(sandbox: Sandbox, execution: string, channel = CHANNEL): Message | undefined {
  return sandbox.messages(channel).find((m) => !m.threadTs && m.text.includes(`(${execution})`));
}

/** Everything a person reads on a message: its text and the text of its blocks. */
export function visibleText(message: Pick<Message, 'text' | 'blocks'>): string {
  const parts: string[] = [message.text];
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const o = node as Record<string, unknown>;
    if (typeof o.text === 'string') parts.push(o.text);
    for (const [k, v] of Object.entries(o)) if (k !== 'value' && typeof v === 'object') walk(v);
  };
  walk(message.blocks ?? []);
  return parts.join('\n');
}

/** The buttons on a message: their labels and action ids. */
export function buttons(message: Pick<Message, 'blocks'>): Array<{ text: string; actionId: string; value?: string }> {
  const out: Array<{ text: string; actionId: string; value?: string }> = [];
  for (const b of (message.blocks ?? []) as Array<{ type: string; elements?: Array<Record<string, unknown>> }>) {
    if (b.type !== 'actions') continue;
    for (const e of b.elements ?? []) {
      if (e.type === 'button') out.push({ text: (e.text as { text: string }).text, actionId: String(e.action_id), value: e.value as string | undefined });
    }
  }
  return out;
}

/** What `userId` was told privately in the channel, oldest first. */
export function toldTo(sandbox: Sandbox, userId: string, channel = CHANNEL): string[] {
  return sandbox.ephemerals({ channelId: channel, userId }).map((e) => e.text);
}
