import fc from 'fast-check';
import * as fs from 'node:fs';

/**
 * How long the reliability tests run. `npm test` runs the fast versions; `npm run soak`
 * sets REMEDY_SOAK=1 for the long ones. REMEDY_RUNS=n forces n runs for every property
 * and trial loop (to reproduce a failure quickly, or to soak even longer).
 */
export const SOAK = process.env.REMEDY_SOAK === '1';

const forced = Number(process.env.REMEDY_RUNS);

/** The number of runs: `fast` in the default suite, `soak` under REMEDY_SOAK=1. */
export function runs(fast: number, soak: number): number {
  if (Number.isInteger(forced) && forced > 0) return forced;
  return SOAK ? soak : fast;
}

/** A jest timeout for a loop of `count` runs that each take about `msEach`, with room to spare. */
export function timeoutFor(count: number, msEach: number): number {
  return Math.max(60_000, count * msEach * 3);
}

/**
 * One line of figures for the soak report (REMEDY_SOAK_REPORT names a JSON-lines file),
 * printed in the soak, or always with `print`.
 */
export function reportFigures(name: string, figures: Record<string, number | string>, print = SOAK): void {
  if (process.env.REMEDY_SOAK_REPORT) fs.appendFileSync(process.env.REMEDY_SOAK_REPORT, JSON.stringify({ name, ...figures }) + '\n');
  if (print) process.stdout.write(`${name}: ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
}

/** Checks a property `numRuns` times (sync or async), then reports it for the soak table. */
export async function holds<Ts>(name: string, property: fc.IRawProperty<Ts>, numRuns: number, figures: () => Record<string, number> = () => ({})): Promise<void> {
  await fc.assert(property, { numRuns });
  reportFigures(name, { runs: numRuns, ...figures(), failures: 0 });
}
