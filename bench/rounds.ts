/**
 * Figure and baseline in alternating rounds, so background load lands on both
 * alike: within a round the two are measured in turn, sample by sample, and
 * which goes first alternates. The per-round ratios show how much the
 * machine's conditions moved between rounds.
 */
import { fmtRatio, summarize } from './stats';

export interface Round {
  figure: number[];
  baseline: number[];
}

/** `rounds` rounds of `samples` pairs: figure and baseline one after the other, the first alternating. */
export async function alternate(rounds: number, samples: number, figure: () => Promise<number>, baseline: () => Promise<number>, between?: () => Promise<void>): Promise<Round[]> {
  const out: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const round: Round = { figure: [], baseline: [] };
    for (let k = 0; k < samples; k++) {
      if ((r + k) % 2 === 0) {
        round.figure.push(await figure());
        round.baseline.push(await baseline());
      } else {
        round.baseline.push(await baseline());
        round.figure.push(await figure());
      }
      await between?.();
    }
    out.push(round);
  }
  return out;
}

export const pooled = (rounds: readonly Round[], side: keyof Round) => summarize(rounds.flatMap((r) => r[side]));

/** The lowest and highest figure/baseline ratio of single rounds, of the statistic `pick` (p50 by default). */
export function spread(rounds: readonly Round[], pick: (xs: number[]) => number = (xs) => summarize(xs).p50): string {
  const ratios = rounds.map((r) => pick(r.figure) / pick(r.baseline));
  return `${fmtRatio(Math.min(...ratios))}–${fmtRatio(Math.max(...ratios))}`;
}
