/**
 * What `ClickDelivery.deliver` costs per click as a flood of distinct clicks
 * fills its maps: the retry de-duplication (DEDUPE_MAX_KEYS keys) and the
 * click limiter (DEFAULT_CLICK_RATE_LIMIT.maxKeys people-and-runs, two per
 * click). Temporal is stubbed; every click is a new person-and-run, as in
 * figure 4. Prints the process's CPU time per click, block by block, so a
 * cost that grows with the maps shows as a rising row.
 *
 *   node bin/run-ts.js bench/limiter-fill.ts [CLICKS] [BLOCK]   (defaults 300000, 25000)
 */
import type { FastifyBaseLogger } from 'fastify';
import { ClickDelivery, DEDUPE_MAX_KEYS, DEFAULT_CLICK_RATE_LIMIT, DEFAULT_DELIVERY_POLICY } from '../src/server/click-delivery';
import { approvalDecisionSignal } from '../workflows/messages';
import { stubTemporalClient } from './stub-temporal';
import { ONE_CLICKER_BURST } from './common';

async function main() {
  const clicks = Number(process.argv[2] ?? 300_000);
  const block = Number(process.argv[3] ?? 25_000);
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as FastifyBaseLogger;
  const delivery = new ClickDelivery(stubTemporalClient(), DEFAULT_DELIVERY_POLICY, async () => undefined, () => undefined, silent, {
    ...DEFAULT_CLICK_RATE_LIMIT,
    burst: ONE_CLICKER_BURST,
  });
  console.log(`limiter holds ${DEFAULT_CLICK_RATE_LIMIT.maxKeys} people-and-runs (2 per click here); de-duplication ${DEDUPE_MAX_KEYS} clicks`);
  for (let from = 0; from < clicks; from += block) {
    const before = process.cpuUsage();
    for (let i = from; i < from + block; i++) {
      const outcome = await delivery.deliver({ workflowId: `bench-${i}`, signal: approvalDecisionSignal, args: [{ verb: 'approve', user: { id: 'U0CAROL' } }], dedupeKey: `U0CAROL|approve|${i}`, userId: 'U0CAROL' });
      if (outcome !== 'delivered') throw new Error(`click ${i}: ${outcome}`);
    }
    const used = process.cpuUsage(before);
    console.log(`clicks ${String(from).padStart(7)}–${String(from + block).padEnd(7)} ${((used.user + used.system) / block).toFixed(1).padStart(6)} µs CPU per click`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
