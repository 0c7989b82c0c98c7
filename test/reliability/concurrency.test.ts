import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/exit-codes';
import { reportFigures, runs, timeoutFor } from './budget';
import { remedy, type Run } from './built-cli';
import { workDir } from './work-dir';

// 20 real processes apply overlapping manifests to one tree at once. Every process edits
// the same ini file, and two of five shared files. Without --wait, those that cannot get
// the run lock exit 75 and change nothing; with --wait, all of them apply in turn. Either
// way no update is lost and no file is torn: every file holds exactly its original lines
// plus the lines of the runs that applied, each once.

const PROCESSES = 20;
const ROUNDS = runs(1, 20);
const SHARED = ['f0.conf', 'f1.conf', 'f2.conf', 'f3.conf', 'f4.conf'];
const ORIGINAL: Record<string, string> = {
  'settings.ini': '[main]\n; managed by many\nname = app\n',
  ...Object.fromEntries(SHARED.map((f, i) => [f, `# ${f}\nlisten ${8000 + i}\n`])),
};

const work = workDir('remedy-concurrency-', { build: true });
let root: string;

/** The lines process i adds to each file it edits, for the given round's value. */
function linesOf(i: number, value: string): Record<string, string[]> {
  return {
    'settings.ini': [`k${i} = ${value}`],
    [SHARED[i % 5]]: [`from p${i} ${value}`],
    [SHARED[(i + 1) % 5]]: [`# BEGIN REMEDY MANAGED BLOCK p${i}`, `block p${i} ${value}`, `# END REMEDY MANAGED BLOCK p${i}`],
  };
}

function writeManifest(i: number, value: string): string {
  const file = path.join(work(), `p${i}.yml`);
  const resources = [
    { id: `k${i}`, type: 'ini', path: '/etc/app/settings.ini', section: 'main', key: `k${i}`, value },
    { id: `l${i}`, type: 'line', path: `/etc/app/${SHARED[i % 5]}`, match: `^from p${i} `, line: `from p${i} ${value}` },
    { id: `p${i}`, type: 'block', path: `/etc/app/${SHARED[(i + 1) % 5]}`, content: `block p${i} ${value}\n` },
  ];
  fs.writeFileSync(file, JSON.stringify({ resources }));
  return file;
}

function resetTree(): void {
  root = path.join(work(), 'root');
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(path.join(root, 'etc/app'), { recursive: true });
  for (const [name, content] of Object.entries(ORIGINAL)) fs.writeFileSync(path.join(root, 'etc/app', name), content);
}

/** Starts all processes at once; each process i applies its manifest with `value`. */
function applyAll(value: string, extra: string[]): Promise<Run[]> {
  const manifests = Array.from({ length: PROCESSES }, (_, i) => writeManifest(i, value));
  return Promise.all(manifests.map((m) => remedy(['apply', m, '--root', root, '--detailed-exitcodes', ...extra])));
}

/** Every file holds exactly its original lines and the lines of the processes that applied (in any order), each once. */
function expectExactly(applied: number[], value: string): void {
  for (const [name, original] of Object.entries(ORIGINAL)) {
    const wanted = [...original.trimEnd().split('\n'), ...applied.flatMap((i) => linesOf(i, value)[name] ?? [])];
    const now = fs.readFileSync(path.join(root, 'etc/app', name), 'utf8');
    expect(now.endsWith('\n')).toBe(true);
    expect(now.trimEnd().split('\n').sort()).toEqual(wanted.sort());
  }
}

test(`${PROCESSES} processes at once, without --wait: the lock's losers exit ${EXIT.locked} and change nothing; the winners' edits are all there`, async () => {
  let winners = 0;
  for (let round = 0; round < ROUNDS; round++) {
    resetTree();
    const results = await Promise.all(await applyAll(`r${round}`, []));
    const applied = results.flatMap((r, i) => (r.code === 2 ? [i] : []));
    const locked = results.filter((r) => r.code === EXIT.locked);
    expect(results.filter((r) => r.code !== 2 && r.code !== EXIT.locked).map((r) => r.stderr)).toEqual([]);
    expect(applied.length + locked.length).toBe(PROCESSES);
    expect(applied.length).toBeGreaterThan(0);
    for (const r of locked) expect(r.stderr).toContain('another remedy run holds the lock');
    expectExactly(applied, `r${round}`);
    winners += applied.length;
  }
  reportFigures('concurrency without --wait', { rounds: ROUNDS, processes: ROUNDS * PROCESSES, applied: winners, locked: ROUNDS * PROCESSES - winners });
}, timeoutFor(ROUNDS, 5000));

test(`${PROCESSES} processes at once, with --wait: every one applies in turn, no update is lost`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    resetTree();
    const results = await applyAll(`w${round}`, ['--wait', '120']);
    expect(results.filter((r) => r.code !== 2).map((r) => r.stderr)).toEqual([]);
    expect(results.map((r) => r.code)).toEqual(Array(PROCESSES).fill(2));
    expectExactly(Array.from({ length: PROCESSES }, (_, i) => i), `w${round}`);
  }
  reportFigures('concurrency with --wait', { rounds: ROUNDS, processes: ROUNDS * PROCESSES, lostUpdates: 0 });
}, timeoutFor(ROUNDS, 20_000));
