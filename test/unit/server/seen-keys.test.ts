import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import { ClickDelivery, DEFAULT_CLICK_RATE_LIMIT, DEFAULT_DELIVERY_POLICY } from '../../../src/server/click-delivery';
import { approvalDecisionSignal } from '../../../workflows/messages';
import { OldestFirst, SeenKeys } from '../../../src/server/seen-keys';

describe('SeenKeys: what was seen within the window, bounded in size', () => {
  test('a key is new once within the window, and new again after it', () => {
    const seen = new SeenKeys(1_000, 100);
    expect(seen.firstTime('a', 0)).toBe(true);
    expect(seen.firstTime('a', 500)).toBe(false);
    expect(seen.firstTime('a', 1_000)).toBe(false);
    expect(seen.firstTime('a', 1_001)).toBe(true);
  });

  test('a forgotten key is new again at once', () => {
    const seen = new SeenKeys(1_000, 100);
    seen.firstTime('a', 0);
    seen.forget('a');
    expect(seen.firstTime('a', 1)).toBe(true);
    expect(seen.firstTime('a', 2)).toBe(false);
  });

  test('past its size, the oldest keys are forgotten first, however long the flood', () => {
    const seen = new SeenKeys(60_000, 1_000);
    for (let i = 0; i < 50_000; i++) seen.firstTime(`k${i}`, 0);
    // The newest thousand or so are still known; the first ones are not.
    for (let i = 49_000; i < 50_000; i++) expect(seen.firstTime(`k${i}`, 0)).toBe(false);
    expect(seen.firstTime('k0', 0)).toBe(true);
    expect(seen.firstTime('k48000', 0)).toBe(true);
  });

  test('keys past the window are swept while newer ones stay, in arrival order', () => {
    const seen = new SeenKeys(1_000, 100_000);
    for (let t = 0; t < 20_000; t++) seen.firstTime(`k${t}`, t);
    // At 20,000 every key older than 19,000 is gone; the last thousand are still there.
    expect(seen.firstTime('k18998', 20_000)).toBe(true);
    expect(seen.firstTime('k19001', 20_000)).toBe(false);
    expect(seen.firstTime('k19999', 20_000)).toBe(false);
  });
});

describe('OldestFirst: the oldest entry of a Map, across changes', () => {
  test('follows deletions, additions and entries set again', () => {
    const map = new Map<string, number>();
    const oldest = new OldestFirst(map);
    expect(oldest.peek()).toBeUndefined();
    map.set('a', 1).set('b', 2).set('c', 3);
    expect(oldest.peek()).toEqual(['a', 1]);
    map.delete('a');
    expect(oldest.peek()).toEqual(['b', 2]);
    // b is used again: deleted and set, it is now the newest.
    map.delete('b');
    map.set('b', 4);
    expect(oldest.peek()).toEqual(['c', 3]);
    map.delete('c');
    expect(oldest.peek()).toEqual(['b', 4]);
    map.delete('b');
    expect(oldest.peek()).toBeUndefined();
    // Empty once, then filled again.
    map.set('d', 5);
    expect(oldest.peek()).toEqual(['d', 5]);
  });
});

describe("ClickDelivery's click limit, past its size", () => {
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as FastifyBaseLogger;
  const temporal = { workflow: { getHandle: () => ({ signal: async () => undefined }) }, connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn() } } as unknown as Client;
  const click = (delivery: ClickDelivery, user: string, workflowId: string) =>
    delivery.deliver({ workflowId, signal: approvalDecisionSignal, args: [{ verb: 'approve', user: { id: user } }], userId: user });

  test('a person throttled on a run stays throttled while a flood on other runs fills the limiter', async () => {
    const delivery = new ClickDelivery(temporal, DEFAULT_DELIVERY_POLICY, async () => undefined, () => undefined, silent, {
      ...DEFAULT_CLICK_RATE_LIMIT,
      burst: 1,
      refillMs: 3_600_000,
      maxKeys: 50,
    });
    expect(await click(delivery, 'U0CAROL', 'run-a')).toBe('delivered');
    for (let i = 0; i < 200; i++) {
      // Carol keeps clicking: her bucket is the most recently used, never the one forgotten.
      expect(await click(delivery, 'U0CAROL', 'run-a')).toBe('throttled');
      expect(await click(delivery, `U${i}`, `run-${i}`)).toBe('delivered');
    }
    // Untouched, hers is forgotten like any other once 50 newer ones came: a fresh burst.
    for (let i = 200; i < 260; i++) await click(delivery, `U${i}`, `run-${i}`);
    expect(await click(delivery, 'U0CAROL', 'run-a')).toBe('delivered');
  });
});
