/**
 * The approval card's modal-opening buttons (`reject-with-reason`,
 * `approve-with-inputs`, and a held card's `exception-with-reason` and
 * `break-glass-with-reason`): the server opens the decision modal itself with the
 * click's trigger_id, which expires 3 seconds after the click — far too soon
 * to ask the worker. Everything the modal needs travels in the button's value
 * (workflow id, integration, input fields; see `modalButtonValue`), so no
 * lookup happens on the click path. The modal's submit is a plain
 * `signalroom:approval:decision` submission, routed as the approval signal.
 */
import { APPROVE_WITH_INPUTS_ACTION, BREAK_GLASS_ACTION, decisionModal, EXCEPTION_ACTION, parseModalButtonValue, REJECT_WITH_REASON_ACTION } from '../../core/slack/blocks/approval-card';
import type { InteractionRoute } from '../server/interaction-routes';

export function approvalModalRoute(): InteractionRoute {
  const verbs: Record<string, 'approve' | 'reject' | 'exception' | 'break-glass'> = { [REJECT_WITH_REASON_ACTION]: 'reject', [APPROVE_WITH_INPUTS_ACTION]: 'approve', [EXCEPTION_ACTION]: 'exception', [BREAK_GLASS_ACTION]: 'break-glass' };
  const actions = new Set(Object.keys(verbs));
  return {
    name: 'approval:modal',
    matches: (interaction) => interaction.type === 'block_actions' && actions.has(interaction.id),
    toSignal(interaction) {
      if (interaction.type !== 'block_actions') return { reply: 'This form is not linked to a Signalroom approval, so nothing was done.' };
      const value = parseModalButtonValue(interaction.action.value);
      if (!value) return { reply: 'This button is not linked to a Signalroom approval, so nothing was done.' };
      const verb = verbs[interaction.id]!;
      const fields = (value.fields ?? []).map(([name, label, required]) => ({ name, label, required }));
      const p = interaction.payload;
      // The response_url goes to Slack and back inside the modal: sealed, like in a signal.
      const view = decisionModal(value.workflowId, verb, fields, {
        channelId: p.channel?.id ?? p.container?.channel_id,
        messageTs: p.container?.message_ts ?? p.message?.ts,
        responseUrl: interaction.responseUrl ? interaction.app.seal(interaction.responseUrl) : undefined,
      });
      return { openView: { integration: value.integration, view } };
    },
  };
}
