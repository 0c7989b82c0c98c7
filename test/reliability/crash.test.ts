import * as path from 'node:path';
import { reportFigures, runs, timeoutFor } from './budget';
import { CrashTrials, writeConfigFiles, type CrashReport } from './crash-harness';
import { workDir } from './work-dir';

// SIGKILL a real `remedy apply` (the built binary) over 200 files at random moments.
// REMEDY_SEED=n replays a run's kill times.

const TRIALS = runs(25, 1000);
const FILES = 200;
const seed = Number(process.env.REMEDY_SEED) || Date.now() % 2 ** 31;

const LANES = 2; // two roots side by side: the machine has two cores

const work = workDir('remedy-crash-', { build: true });

/** One root, its own trials: generations lane, lane + LANES, ... up to TRIALS. */
async function lane(n: number): Promise<CrashReport> {
  const dir = path.join(work(), `lane-${n}`);
  const root = path.join(dir, 'root');
  writeConfigFiles(root, FILES);
  const trials = new CrashTrials(dir, root, seed + n);
  await trials.calibrate();
  for (let g = n; g <= TRIALS; g += LANES) await trials.trial(g);
  return trials.result();
}

function merged(reports: CrashReport[]): CrashReport {
  const sum = (k: keyof Omit<CrashReport, 'failures' | 'seed'>) => reports.reduce((n, r) => n + r[k], 0);
  const counts = { trials: sum('trials'), killedMidWrite: sum('killedMidWrite'), killedBeforeWrites: sum('killedBeforeWrites'), finishedFirst: sum('finishedFirst'), tempsSeen: sum('tempsSeen'), failedTrials: sum('failedTrials') };
  return { seed, ...counts, failures: reports.flatMap((r) => r.failures) };
}

test(
  `${TRIALS} kills of apply over ${FILES} files: every file old or new, never torn; the next run cleans up and converges`,
  async () => {
    const report = merged(await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i + 1))));
    const { failures, ...figures } = report;
    reportFigures('crash trials', { ...figures, failures: failures.length }, true);
    expect(failures).toEqual([]);
    // The kills are aimed at the writes: some must land while files are being replaced.
    expect(report.killedMidWrite).toBeGreaterThan(0);
  },
  // + the wait for a lock left without a holder to go stale (150 s), should a kill leave one.
  timeoutFor(TRIALS, 2000) + 300_000,
);
