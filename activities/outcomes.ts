/**
 * Telling an approval's outcome to whoever waits on it without a runner: a
 * callback URL, a GitHub deployment protection rule. The workflow calls
 * `deliverOutcome` once per target of `request.notify` when the approval is
 * decided; each kind of target has one deliverer, registered here. A
 * deliverer throws to be retried (Temporal owns retries), and returns what it
 * found at the other end (GitHub: the run was cancelled meanwhile).
 */
import { refusal } from '../src/slack/errors';
import type { OutcomeDelivery, OutcomeReport, OutcomeTarget } from '../core/approval/types';

export type OutcomeDeliverer<K extends OutcomeTarget['kind'] = OutcomeTarget['kind']> = (target: Extract<OutcomeTarget, { kind: K }>, report: OutcomeReport) => Promise<OutcomeDelivery>;

/** One deliverer per kind of target; a worker without one for a kind refuses such targets, saying so. */
export type OutcomeDeliverers = { [K in OutcomeTarget['kind']]?: OutcomeDeliverer<K> };

export function createOutcomeActivities(deliverers: OutcomeDeliverers) {
  return {
    async deliverOutcome(input: { target: OutcomeTarget; report: OutcomeReport }): Promise<OutcomeDelivery> {
      const deliver = deliverers[input.target.kind] as OutcomeDeliverer | undefined;
      if (!deliver) throw refusal('Signalroom:no_outcome_deliverer', `this worker is not configured to tell a ${input.target.kind} the outcome`);
      return deliver(input.target, input.report);
    },
  };
}
