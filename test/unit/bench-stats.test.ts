/** The bench's summaries hold for samples of any size (bench/stats.ts). */
import { summarize } from '../../bench/stats';

test('summarize takes more latencies than a call takes arguments', () => {
  // 500,000 samples: about what 4 rounds of the endpoint figure gather from a bare route at 30,000 requests a second.
  const values = Array.from({ length: 500_000 }, (_, i) => (i * 7919) % 500_000);
  expect(summarize(values)).toEqual({ n: 500_000, p50: 249_999, p99: 494_999, mean: 249_999.5, max: 499_999 });
});

test('summarize of nothing is NaN, not a throw', () => {
  expect(summarize([])).toEqual({ n: 0, p50: NaN, p99: NaN, mean: NaN, max: NaN });
});
