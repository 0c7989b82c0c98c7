import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportFigures, runs, timeoutFor } from './budget';
import { remedy } from './built-cli';
import { snapshot } from '../helpers/tree';
import { workDir } from './work-dir';

// Races against a real apply process: another process changes the tree at a random moment
// of the run. A symbolic link swapped in must never lead a write (or a temp file) out of
// the root; a hand edit must never be lost: after the run the file holds the edit, whether
// the run applied around it or refused.

const TRIALS = runs(10, 1000);
const work = workDir('remedy-races-', { build: true });
/** Big enough that reading, hashing and writing it take a while: the windows are wide. */
const CONTENT = 'listen 80\n' + '# filler line of a large configuration file\n'.repeat(40_000);
const EDIT = `resources:\n  - id: listen\n    type: line\n    path: /etc/app/app.conf\n    match: ^listen\n    line: listen 8080\n`;

/** How long an unraced apply of a fresh trial takes (its start-up included): the races strike anywhere in it. */
let runSeconds = 0.2;
beforeAll(async () => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { root, manifest } = freshTrial(-1 - i);
    const started = Date.now();
    await remedy(['apply', manifest, '--root', root]);
    times.push((Date.now() - started) / 1000);
    removeTrial(-1 - i);
  }
  runSeconds = Math.max(...times);
}, 120_000);

/** Runs `sh -c script` in `cwd` after a random delay within the apply's life, start-up included. */
function later(script: string, cwd: string): Promise<void> {
  const delay = (Math.random() * runSeconds).toFixed(4);
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `sleep ${delay}; ${script}`], { cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
}

/** How the runs of a race ended: where the other process struck decides it (before the plan, during the apply, after it). */
class Outcomes {
  private readonly counts = new Map<string, number>();

  add(code: number | null): void {
    const what = code === 1 ? 'refusedAtPlan' : code === 4 ? 'refusedAtApply' : code === 2 ? 'applied' : code === 0 ? 'inSync' : `exit${code}`;
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  figures(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

function freshTrial(trial: number): { root: string; outside: string; manifest: string } {
  const dir = path.join(work(), `t${trial}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const root = path.join(dir, 'root');
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(path.join(root, 'etc/app'), { recursive: true });
  fs.mkdirSync(path.join(outside, 'dir'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/app/app.conf'), CONTENT);
  // The same bytes as the managed file: a link swapped in to it passes a content check.
  fs.writeFileSync(path.join(outside, 'dir/app.conf'), CONTENT);
  const manifest = path.join(dir, 'manifest.yml');
  fs.writeFileSync(manifest, EDIT);
  return { root, outside, manifest };
}

function removeTrial(trial: number): void {
  fs.rmSync(path.join(work(), `t${trial}`), { recursive: true, force: true });
}

test(
  `symlink swap: ${TRIALS} applies, each racing a directory swapped for a link out of the root; nothing outside is written`,
  async () => {
    const escapes: string[] = [];
    const outcomes = new Outcomes();
    for (let trial = 0; trial < TRIALS; trial++) {
      const { root, outside, manifest } = freshTrial(trial);
      const before = snapshot(outside);
      const [run] = await Promise.all([
        remedy(['apply', manifest, '--root', root, '--detailed-exitcodes']),
        later('mv etc/app etc/app.moved && ln -s ../../outside/dir etc/app', root),
      ]);
      outcomes.add(run.code);
      const after = snapshot(outside);
      if (JSON.stringify([...after]) !== JSON.stringify([...before])) escapes.push(`trial ${trial}: ${[...after.keys()].join(', ')}`);
      removeTrial(trial);
    }
    reportFigures('symlink-swap race', { trials: TRIALS, ...outcomes.figures(), escapes: escapes.length });
    expect(escapes).toEqual([]);
  },
  timeoutFor(TRIALS, 400),
);

const HAND_EDITS: [string, string][] = [
  ['appended in place', "printf 'hand-edit\\n' >> etc/app/app.conf"],
  ['replaced by rename (sed -i, most editors)', "sed -i 's/^# filler line of a large configuration file$/hand-edit/;T;:a;n;ba' etc/app/app.conf"],
];

test.each(HAND_EDITS)(
  `hand edit %s: ${TRIALS} applies, each racing an edit; every edit survives (kept, or the run refused)`,
  async (style, script) => {
    const lost: number[] = [];
    const outcomes = new Outcomes();
    for (let trial = 0; trial < TRIALS; trial++) {
      const { root, manifest } = freshTrial(trial);
      const [run] = await Promise.all([remedy(['apply', manifest, '--root', root, '--detailed-exitcodes']), later(script, root)]);
      outcomes.add(run.code);
      if (!fs.readFileSync(path.join(root, 'etc/app/app.conf'), 'utf8').includes('hand-edit')) lost.push(trial);
      removeTrial(trial);
    }
    reportFigures(`hand-edit race (${style})`, { trials: TRIALS, ...outcomes.figures(), lost: lost.length });
    expect(lost).toEqual([]);
  },
  timeoutFor(TRIALS, 400),
);
