/** Percentiles, ratios and the table the bench prints. */

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN,
    // A loop, not Math.max(...values): a fast machine's endpoint slices gather more latencies than a call takes arguments.
    max: values.length ? values.reduce((a, b) => (b > a ? b : a), -Infinity) : NaN,
  };
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a';
}

export function fmtBytes(b: number): string {
  const mib = b / (1024 * 1024);
  return `${mib.toFixed(1)} MiB`;
}

/** One row of the results: a figure, its measured value, its baseline, the ratio and the verdict. */
export interface Row {
  figure: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: 'pass' | 'MISS' | '—';
}

export function markdownTable(rows: readonly Row[]): string {
  const head = '| figure | measured (raw) | baseline (raw) | ratio | target | result |\n| --- | --- | --- | --- | --- | --- |';
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [head, ...rows.map((r) => `| ${esc(r.figure)} | ${esc(r.measured)} | ${esc(r.baseline)} | ${esc(r.ratio)} | ${esc(r.target)} | ${r.verdict} |`)].join('\n');
}

export function textTable(rows: readonly Row[]): string {
  const cols: Array<keyof Row> = ['figure', 'measured', 'baseline', 'ratio', 'target', 'verdict'];
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}
