#!/usr/bin/env node
'use strict';
// Where one remedy run spends its time: `node --cpu-prof` on a bench task, summed by
// function (self time), by package or remedy module (inclusive) and by phase.
//   node scripts/bench/profile.js [task] [--top N]     task: seed-converged (default), seed-drifted, ini-10000, files-1000, ...
// Uses dist/ as it is (`npm run build` first).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makeJob, setUp } = require('./jobs');
const { runOrThrow } = require('./measure');
const { allTasks } = require('./tasks');
const { availableTools, repo } = require('./tools');

/** The engine's phases, by the function that runs each. */
const PHASES = ['loadManifest', 'parseDocument', 'schemaDiagnostics', 'checkResources', 'resolveResources', 'readSystem', 'planChanges', 'checkWholeFold', 'unifiedPatch', 'applyPlan', 'renderPlan', 'renderResult'];

/** The bundle's module markers (esbuild writes `// dist/engine/plan.js` above each module), by line. */
const bundleModules = (() => {
  const bundle = path.join(repo, 'dist', 'remedy.js');
  if (!fs.existsSync(bundle)) return [];
  const markers = [];
  fs.readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const m = /^\/\/ ((?:dist|node_modules)\/\S+|package\.json)$/.exec(line);
      if (m) markers.push({ line: i, file: path.join(repo, m[1]) });
    });
  return markers;
})();

/** The module of the bundle that a line belongs to. */
function bundledFile(line) {
  let found = 'dist/remedy.js';
  for (const m of bundleModules) {
    if (m.line > line) break;
    found = m.file;
  }
  return found;
}

/** Frames that load code: node's require, the bundle's module initialisers, the vm compile of the bundle. */
const LOADERS = new Set(['Module._load', '__require', '__init', 'Script']);

function unitOf(url, line) {
  let file = url.replace(/^file:\/\//, '');
  if (file.endsWith('dist/remedy.js')) file = bundledFile(line);
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (inModules) return inModules[1];
  if (file.startsWith(repo)) return path.relative(repo, file);
  return file.startsWith('node:') ? file : file ? `node:${file}` : '(vm)';
}

function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totals = { fn: new Map(), unit: new Map(), phase: new Map(), kind: new Map() };
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of self) {
    const frame = byId.get(id).callFrame;
    const unit = unitOf(frame.url, frame.lineNumber);
    add(totals.fn, `${frame.functionName || '(anonymous)'} ${unit}:${frame.lineNumber + 1}`, us);
    add(totals.unit, unit, us);
    const phases = new Set();
    let loading = false;
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const f = byId.get(x).callFrame;
      loading ||= LOADERS.has(f.functionName);
      if (PHASES.includes(f.functionName)) phases.add(f.functionName);
    }
    for (const p of phases) add(totals.phase, p, us);
    add(totals.kind, frame.functionName === '(garbage collector)' ? 'garbage collection' : loading ? 'loading code (the bundle from its code cache, its modules\' top level, node built-ins)' : 'the rest (node start-up, the run itself)', us);
  }
  return { totalMs: (profile.endTime - profile.startTime) / 1000, totals };
}

function table(map, title, top) {
  const rows = [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [`| ${title} | ms |`, '| --- | ---: |', ...rows.map(([k, us]) => `| ${k} | ${(us / 1000).toFixed(1)} |`)].join('\n');
}

function main() {
  const args = process.argv.slice(2);
  const taskName = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'seed-converged';
  const top = Number(args[args.indexOf('--top') + 1]) || 15;
  const realFiles = process.env.REMEDY_REAL_FILES ?? path.join(repo, '.cache', 'real');
  const task = allTasks(realFiles).find((t) => t.name === taskName);
  if (!task) throw new Error(`no task ${taskName}`);
  const remedy = availableTools({ install: false, tools: ['remedy'] }).find((t) => t.name === 'remedy');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-profile-'));
  try {
    const job = makeJob(ws, task, remedy);
    setUp(job, task, remedy, 600);
    if (!task.converged) runOrThrow(['sh', '-c', job.restore]);
    const dir = path.join(ws, 'profile');
    runOrThrow([job.argv[0], '--cpu-prof', '--cpu-prof-dir', dir, ...job.argv.slice(1)]);
    const { totalMs, totals } = summarize(JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]), 'utf8')));
    console.log(`${task.name}: ${totalMs.toFixed(0)} ms profiled (node's own start-up before the profiler is not in it)\n`);
    const tables = [table(totals.kind, 'where', top), table(totals.phase, 'phase (inclusive)', top), table(totals.unit, 'package or module (self)', top), table(totals.fn, 'function (self)', top)];
    console.log(tables.join('\n\n'));
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

main();
