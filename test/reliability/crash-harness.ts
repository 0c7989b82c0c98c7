import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/exit-codes';
import { decodeLossless, encodeLossless } from '../../src/engine/bytes';
import { editBlock } from '../../src/resources/block';
import { editIni } from '../../src/resources/ini';
import { remedy, runToEnd, startRemedy } from './built-cli';

/**
 * Crash trials: a real `remedy apply` over many files is SIGKILLed at a random moment;
 * every file must then be byte-identical to its old or its new version, and the next
 * run must clean up the temp files and converge.
 */

const DIR = '/etc/app';
const TEMP = /^\..+\.remedy-\d+-[0-9a-f]+\.tmp$/;

export interface CrashReport {
  seed: number;
  trials: number;
  /** Kills that landed after some files were written and before the last: the dangerous moments. */
  killedMidWrite: number;
  killedBeforeWrites: number;
  /** The run had finished (or written everything) before the kill came. */
  finishedFirst: number;
  /** Temp files seen right after a kill (left by the killed run, removed by the next). */
  tempsSeen: number;
  /** Trials with at least one failure (a failure can make the later checks of its trial fail too). */
  failedTrials: number;
  failures: string[];
}

/** A small seeded PRNG (mulberry32), so a failing trial can be replayed with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generation g's edit: even generations set an ini key, odd ones rewrite a managed block. */
interface Generation {
  manifest: string;
  edit(text: string): string;
}

function generation(work: string, g: number): Generation {
  const manifest = path.join(work, `gen-${g % 2}.yml`);
  const value = `gen-${g}`;
  if (g % 2 === 0) {
    const spec = { section: 'main', key: 'generation', value };
    writeManifest(manifest, { id: 'app-ini', type: 'ini', ...spec });
    return { manifest, edit: (text) => editIni(text, spec).text };
  }
  const spec = { id: 'app-block', content: `managed = yes\nblock_generation = ${value}\n` };
  writeManifest(manifest, { type: 'block', ...spec });
  return { manifest, edit: (text) => editBlock(text, spec).text };
}

/** One glob resource over every file of the directory (JSON is YAML). */
function writeManifest(file: string, resource: Record<string, unknown>): void {
  fs.writeFileSync(file, JSON.stringify({ resources: [{ ...resource, path: `${DIR}/*.conf` }] }));
}

/** The files under root/etc/app: name -> bytes. */
function readAll(root: string): Map<string, Buffer> {
  const dir = path.join(root, DIR);
  return new Map(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name))]));
}

function tempFiles(files: Map<string, Buffer>): string[] {
  return [...files.keys()].filter((n) => TEMP.test(n));
}

/** 200 config files with a little bulk each, so that the writes take a while. */
export function writeConfigFiles(root: string, count: number): void {
  fs.mkdirSync(path.join(root, DIR), { recursive: true });
  const bulk = Array.from({ length: 40 }, (_, i) => `; comment line ${i} ${'x'.repeat(40)}`).join('\n');
  for (let i = 0; i < count; i++) fs.writeFileSync(path.join(root, DIR, `f${String(i).padStart(3, '0')}.conf`), `[main]\nname = f${i}\ngeneration = none\n${bulk}\n`);
}

export class CrashTrials {
  private readonly next: () => number;
  private readonly report: CrashReport;
  /** When writes start and end in a full run (ms after spawn), measured, then adjusted trial by trial. */
  private window = { start: 0, end: 0 };
  /** How long a plan takes: no write comes earlier, so no kill is aimed earlier. */
  private planMs = 0;

  constructor(
    private readonly work: string,
    private readonly root: string,
    seed: number,
  ) {
    this.next = random(seed);
    this.report = { seed, trials: 0, killedMidWrite: 0, killedBeforeWrites: 0, finishedFirst: 0, tempsSeen: 0, failedTrials: 0, failures: [] };
  }

  /** Times a plan (no writes) and a full apply of the first generation, to aim the kills at the writes. */
  async calibrate(): Promise<void> {
    const g = generation(this.work, 0);
    let t = Date.now();
    await remedy(['plan', g.manifest, '--root', this.root]);
    this.planMs = Date.now() - t;
    t = Date.now();
    const run = await remedy(this.applyArgs(g.manifest));
    if (run.code !== 2) throw new Error(`the calibration apply exited ${run.code}: ${run.stdout}${run.stderr}`);
    this.window = { start: this.planMs, end: (Date.now() - t) * 1.05 };
  }

  async trial(g: number): Promise<void> {
    const gen = generation(this.work, g);
    const old = readAll(this.root);
    const wanted = new Map([...old].map(([name, bytes]) => [name, encodeLossless(gen.edit(decodeLossless(bytes)))]));
    this.report.trials += 1;
    const failuresBefore = this.report.failures.length;
    const { delay, killed } = await this.killDuring(gen.manifest);
    this.aim(delay, this.checkAfterKill(g, old, wanted, killed));
    await this.checkNextRunsConverge(g, gen.manifest, wanted);
    if (this.report.failures.length > failuresBefore) this.report.failedTrials += 1;
  }

  result(): CrashReport {
    return this.report;
  }

  private applyArgs(manifest: string): string[] {
    return ['apply', manifest, '--root', this.root, '--detailed-exitcodes'];
  }

  /** Starts apply and SIGKILLs it at a random moment of its write window; the delay, and whether the kill came before it ended. */
  private async killDuring(manifest: string): Promise<{ delay: number; killed: boolean }> {
    const child = startRemedy(this.applyArgs(manifest));
    const ended = runToEnd(child);
    const delay = this.window.start + this.next() * (this.window.end - this.window.start);
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    const run = await ended;
    clearTimeout(timer);
    return { delay, killed: run.signal === 'SIGKILL' };
  }

  /** Moves the window a little towards where the writes really were, as the machine's load changes. */
  private aim(delay: number, landed: 'before' | 'mid' | 'after'): void {
    const w = this.window;
    if (landed === 'before') w.start = Math.min(0.8 * w.start + 0.2 * delay, w.end - 1);
    else if (landed === 'after') w.end = Math.max(0.8 * w.end + 0.2 * delay, w.start + 1);
    else this.window = { start: Math.max(w.start * 0.98, 0.9 * this.planMs), end: w.end * 1.02 };
  }

  /** Every file is old or new; returns when the kill landed: before the first write, among the writes, or after the last. */
  private checkAfterKill(g: number, old: Map<string, Buffer>, wanted: Map<string, Buffer>, killed: boolean): 'before' | 'mid' | 'after' {
    const now = readAll(this.root);
    const temps = tempFiles(now);
    this.report.tempsSeen += temps.length;
    let written = 0;
    for (const [name, before] of old) {
      const bytes = now.get(name);
      if (bytes === undefined) this.fail(g, `${name} is missing after the kill`);
      else if (bytes.equals(wanted.get(name)!)) written += 1;
      else if (!bytes.equals(before)) this.fail(g, `${name} is torn: neither its old nor its new version (${bytes.length} bytes)`);
    }
    const strays = [...now.keys()].filter((n) => !old.has(n) && !TEMP.test(n));
    if (strays.length > 0) this.fail(g, `unexpected files after the kill: ${strays.join(', ')}`);
    if (!killed || written === old.size) {
      this.report.finishedFirst += 1;
      return 'after';
    }
    if (written === 0 && temps.length === 0) {
      this.report.killedBeforeWrites += 1;
      return 'before';
    }
    this.report.killedMidWrite += 1;
    return 'mid';
  }

  /** The next apply finishes the work and removes the temp files; the one after it has nothing to do. */
  private async checkNextRunsConverge(g: number, manifest: string, wanted: Map<string, Buffer>): Promise<void> {
    let recovery = await remedy(this.applyArgs(manifest));
    if (recovery.code === EXIT.locked) {
      this.fail(g, `the run after the kill could not take the run lock the killed run left: ${recovery.stderr.split('\n')[0]}`);
      // A failure all the same; waiting until the lock is stale lets the next trials test something again.
      recovery = await remedy([...this.applyArgs(manifest), '--wait', '300']);
    }
    if (recovery.code !== 0 && recovery.code !== 2) this.fail(g, `the run after the kill exited ${recovery.code}: ${recovery.stderr}${recovery.stdout.slice(-2000)}`);
    const now = readAll(this.root);
    const temps = tempFiles(now);
    if (temps.length > 0) this.fail(g, `temp files still visible after the next run: ${temps.join(', ')}`);
    const wrong = [...wanted].filter(([name, bytes]) => !now.get(name)?.equals(bytes)).map(([name]) => name);
    if (wrong.length > 0) this.fail(g, `after the next run ${wrong.length} file(s) are not the new version: ${wrong.slice(0, 5).join(', ')}`);
    const second = await remedy(this.applyArgs(manifest));
    if (second.code !== 0) this.fail(g, `the second apply after the kill exited ${second.code}, not 0: ${second.stderr}${second.stdout.slice(-2000)}`);
  }

  private fail(g: number, message: string): void {
    this.report.failures.push(`trial ${g} (seed ${this.report.seed}): ${message}`);
  }
}
