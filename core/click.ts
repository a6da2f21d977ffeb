/**
 * The click contract: what the server sends a workflow for a Slack button
 * click or modal submission. Declared once, here, and imported by both the
 * server (src/server/interaction-routes.ts builds it) and the workflows
 * (workflows/messages.ts defines the signals carrying it). Pure types and
 * pure helpers only: this file is bundled into the workflow sandbox.
 */

/**
 * What the request's Slack signature proves, filled in by the server after
 * verification and never read from the payload alone: the integrations whose
 * app signed the click, and where the click says it happened. A workflow
 * compares it with the card it posted (SECURITY.md, "A click is judged against the card it clicked").
 */
export interface ClickProvenance {
  /** The integrations backed by the Slack app whose signing secret verified the request. */
  integrations: string[];
  /** The workspace the click came from (`team.id`, else `user.team_id`). */
  teamId?: string;
  enterpriseId?: string;
  /** The channel and message the clicked element was on; for a modal, the ones the server put in its metadata. */
  channelId?: string;
  messageTs?: string;
}

/** A Slack interaction as a workflow receives it. */
export interface SlackClickSignal {
  /** `<verb>` of `signalroom:<feature>:<verb>`; for a modal, `private_metadata.verb` when set. */
  verb: string;
  user: { id: string; name?: string; teamId?: string };
  /** Set by every server that verifies clicks; absent only in signals recorded before it existed. */
  provenance?: ClickProvenance;
  channelId?: string;
  messageTs?: string;
  /**
   * Where to answer the clicker, sealed by the server (`sealed:v1:…`) so the
   * capability never sits in plain text in a history; plain in signals
   * recorded before sealing existed.
   */
  responseUrl?: string;
  /** Opens a modal within 3 seconds of the click. */
  triggerId?: string;
  actionTs?: string;
  /** Modal submissions: the inputs, flattened by block id (`blockId.actionId` when a block has several). */
  values?: Record<string, string>;
  /** Modal submissions: the parsed private_metadata (the workflow id, verb, and the card's channel, message and sealed response_url). */
  metadata?: Record<string, unknown>;
}

/** Where a card lives, as the workflow that posted it recorded it. */
export interface PostedCard {
  /** The integration that posted it (for a webhook card: the app that owns the webhook). */
  integration: string;
  teamId?: string;
  channel?: string;
  ts?: string;
}

/**
 * Why a click does not belong to the card a workflow posted, or undefined
 * when it does. A click signed by another app, from another workspace, or on
 * another channel or message is refused whatever user it claims to be.
 */
export function clickMismatch(card: PostedCard, click: SlackClickSignal): string | undefined {
  const p = click.provenance;
  if (!p) return 'the click carries no verified origin';
  if (!p.integrations.includes(card.integration)) return `the click was signed by another Slack app (${p.integrations.join(', ') || 'unknown'}) than the one that posted this request`;
  if (card.teamId && p.teamId && p.teamId !== card.teamId && click.user.teamId !== card.teamId) return `the click comes from workspace ${p.teamId}, not the one this request was posted in`;
  if (card.channel && p.channelId && p.channelId !== card.channel) return `the click comes from channel ${p.channelId}, not the one this request was posted in`;
  if (card.channel && !p.channelId) return 'the click does not say which channel it comes from';
  if (card.ts && p.messageTs && p.messageTs !== card.ts) return 'the click comes from another message than this request’s card';
  // Every click the server verifies names its message (a modal's, from metadata only its app sends back):
  // a decision without one was not made on the card, whoever could signal the run (SECURITY.md).
  if (card.ts && !p.messageTs) return 'the click does not say which message it comes from';
  return undefined;
}
