#!/usr/bin/env node
'use strict';
// `npm run bench`: remedy side by side with `node -e 0`, `sed -i`, CFEngine, Puppet and
// Ansible on the same tasks, as medians and ratios; then remedy's cost curve, peak RSS
// and import costs. Tools are interleaved round by round, so machine load hits all
// sides alike. See docs/performance.md. Options:
//   --quick            fewer runs and a shorter curve (a smoke test of the bench)
//   --tasks a,b        only these tasks (startup, seed-drifted, seed-converged, ini-100, ini-10000, files-1000)
//   --tools a,b        only tools whose name starts with these (node -e 0 always runs)
//   --budget S         seconds of timed runs per tool and task (default 20)
//   --max-seconds S    skip a tool whose one run is estimated to take longer (default 120)
//   --no-install       never apt-get install a missing tool
//   --no-build         use dist/ as it is
//   --no-hyperfine     time with the node fallback even when hyperfine is installed
//   --no-curve         skip the curve; --keep keeps the temp workspace
//   --shapes a,b       only these scaling shapes (see shapes.js); --no-shapes skips them
//   --fleet-sizes a,b  hosts of each fleet task (default 20,100; see fleet.js); --no-fleet skips them
// NODE_EXTRA_CA_CERTS is unset for every tool and the floor alike: Node 20 parses that
// bundle at each start, which a cron job on a server does not pay (docs/performance.md).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { importCosts } = require('./imports');
const { median, peakRssMiB, runOrThrow, timeCommand } = require('./measure');
const { report } = require('./report');
const { makeJob, setUp } = require('./jobs');
const { benchFleet } = require('./fleet');
const { benchShapes } = require('./shapes');
const { allTasks, curveTasks } = require('./tasks');
const { availableTools, ensurePackages, hasBinary, remedyBin, repo } = require('./tools');

const FLOOR = 'node -e 0';
const ROUNDS = 3;

function parseOptions(argv) {
  const value = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (name) => value(name)?.split(',').map((s) => s.trim());
  const quick = argv.includes('--quick');
  return {
    quick,
    tasks: list('--tasks'),
    tools: list('--tools'),
    budget: Number(value('--budget') ?? (quick ? 3 : 20)),
    maxSeconds: Number(value('--max-seconds') ?? (quick ? 30 : 120)),
    minRuns: quick ? 2 : 5,
    maxRuns: quick ? 5 : 30,
    install: !argv.includes('--no-install'),
    build: !argv.includes('--no-build'),
    hyperfine: !argv.includes('--no-hyperfine'),
    curve: !argv.includes('--no-curve'),
    curvePoints: quick ? [500, 1000, 2000] : [1000, 2000, 5000, 10_000, 20_000],
    shapes: !argv.includes('--no-shapes'),
    shapeNames: list('--shapes'),
    shapeSizes: quick ? [250, 500, 1000, 2000] : [1250, 2500, 5000, 10_000],
    fleet: !argv.includes('--no-fleet'),
    fleetSizes: (list('--fleet-sizes') ?? (quick ? ['3'] : ['20', '100'])).map(Number),
    fleetMinRuns: quick ? 1 : 3,
    fleetMaxRuns: quick ? 2 : 10,
    keep: argv.includes('--keep'),
  };
}

function prepareMachine(opts) {
  if (opts.build) runOrThrow(['npm', 'run', '--silent', 'build']);
  if (!fs.existsSync(path.join(repo, 'dist', 'remedy.js'))) throw new Error('dist/ is missing: run `npm run build` (or drop --no-build)');
  const fetched = spawnSync('bash', [path.join(repo, 'scripts', 'fetch-real-files.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (fetched.status !== 0) throw new Error('scripts/fetch-real-files.sh failed: the seed task needs the real php.ini-production and wp-settings.php');
  const hyperfineMissing = opts.hyperfine ? ensurePackages(['hyperfine'], opts) : 'disabled with --no-hyperfine';
  const timeMissing = ensurePackages(['time'], opts);
  return {
    realFiles: process.env.REMEDY_REAL_FILES ?? path.join(repo, '.cache', 'real'),
    hyperfine: !hyperfineMissing && hasBinary('hyperfine'),
    timer: hyperfineMissing ? `node child_process + process.hrtime (hyperfine: ${hyperfineMissing})` : 'hyperfine -N (JSON export)',
    rss: !timeMissing && fs.existsSync('/usr/bin/time'),
  };
}

// ------------------------------------------------------------------ one task, all tools

/** Why a tool is left out of a task, or undefined. */
function skipReason(task, tool) {
  if (tool.skip) return tool.skip;
  if (task.only && !task.only.includes(tool.name)) return 'not part of this task';
  if (task.skipTools?.includes(tool.name)) return 'measured on the seed task only';
  return undefined;
}

function estimateFromBase(task, tool, results, opts) {
  const base = task.base && results.find((r) => r.task === task.base.task && r.tool === tool.name && r.median !== undefined);
  if (!base) return undefined;
  const estimate = base.median * task.base.factor;
  if (estimate <= opts.maxSeconds) return undefined;
  return `estimated ${estimate.toFixed(0)} s a run (${task.base.task} median ${base.median.toFixed(2)} s x ${task.base.factor}), over --max-seconds ${opts.maxSeconds}`;
}

/** As many runs as fit the budget, at least minRuns (3 for slow tools, 1 when 3 runs would pass --max-seconds). */
function runsFor(firstRun, opts) {
  if (firstRun * 3 > opts.maxSeconds) return 1;
  const least = firstRun * opts.minRuns > opts.maxSeconds ? 3 : opts.minRuns;
  return Math.min(opts.maxRuns, Math.max(least, Math.round(opts.budget / firstRun)));
}

/** Times every tool of a task, round-robin: each round gives every tool its share of runs. */
function benchTask(task, tools, results, ws, opts, machine) {
  console.error(`\nbench: ${task.name}: ${task.title}`);
  const entries = [];
  for (const tool of tools) {
    const skip = skipReason(task, tool) ?? estimateFromBase(task, tool, results, opts);
    const row = { task: task.name, title: task.title, tool: tool.name, skip };
    results.push(row);
    if (skip) continue;
    try {
      const job = makeJob(ws, task, tool);
      const first = setUp(job, task, tool, opts.maxSeconds);
      entries.push({ row, job, runs: runsFor(first, opts), times: [], fast: first < 1 });
      console.error(`  ${tool.name}: first run ${first.toFixed(3)} s`);
    } catch (e) {
      row.error = e.message;
      console.error(`  ${tool.name}: ERROR ${e.message}`);
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const e of entries.filter((x) => !x.row.error)) {
      const runs = Math.ceil(e.runs / ROUNDS);
      if (round > 0 && e.times.length >= e.runs) continue;
      try {
        const times = timeCommand(e.job.argv, { runs, warmup: round === 0 && e.fast ? 1 : 0, prepare: task.converged ? undefined : e.job.restore, hyperfine: machine.hyperfine });
        e.times.push(...times);
      } catch (err) {
        e.row.error = err.message;
      }
    }
  }
  for (const e of entries) finishRow(e, task, machine);
}

function finishRow(e, task, machine) {
  if (!e.row.error && e.times.length > 0) Object.assign(e.row, { median: median(e.times), runs: e.times.length, times: e.times });
  if (machine.rss && !e.row.error && (e.row.tool === 'remedy' || e.row.tool === FLOOR)) e.row.rssMiB = peakRssMiB(e.job.argv, task.converged ? undefined : e.job.restore);
  if (e.row.median !== undefined) console.error(`  ${e.row.tool}: median ${e.row.median.toFixed(3)} s over ${e.row.runs} runs${e.row.rssMiB ? `, peak RSS ${e.row.rssMiB.toFixed(1)} MiB` : ''}`);
}

// ------------------------------------------------------------------ curve, imports

/** remedy alone over growing edit counts and file sizes; drifted runs, 3 each. */
function benchCurve(ws, opts, machine) {
  const remedy = availableTools({ ...opts, tools: ['remedy'] }).find((t) => t.name === 'remedy');
  const { byEdits, bySize } = curveTasks(opts.curvePoints);
  const measure = (task) => {
    const job = makeJob(ws, task, remedy);
    const keys = Number(/of ([\d,]+) keys/.exec(task.title)[1].replace(/,/g, ''));
    const times = timeCommand(job.argv, { runs: 3, prepare: job.restore, hyperfine: machine.hyperfine });
    const point = { task: task.name, edits: task.edits.length, keys, bytes: fs.statSync(path.join(job.dir, 'pristine', 'etc/bench/big.ini')).size, median: median(times) };
    if (machine.rss) point.rssMiB = peakRssMiB(job.argv, job.restore);
    console.error(`  ${task.name}: ${point.median.toFixed(3)} s${point.rssMiB ? `, ${point.rssMiB.toFixed(1)} MiB` : ''}`);
    return point;
  };
  console.error('\nbench: curve (remedy only)');
  return { byEdits: byEdits.map(measure), bySize: bySize.map(measure) };
}

function benchImports(ws, realFiles) {
  const task = allTasks(realFiles).find((t) => t.name === 'seed-converged');
  const remedy = availableTools({ install: false, tools: ['remedy'] }).find((t) => t.name === 'remedy');
  const job = makeJob(ws, { ...task, name: 'imports' }, remedy);
  setUp(job, task, remedy, 60);
  // The shipped bin runs the bundle, where no require() is seen; the same modules loaded one by one show what each costs.
  const unbundled = [process.execPath, '-e', `require(${JSON.stringify(path.join(repo, 'dist', 'cli', 'main.js'))}).main(['node', 'remedy', ...process.argv.slice(1)])`];
  return { version: importCosts([process.execPath, remedyBin, '--version']), convergedApply: importCosts([...unbundled, ...job.argv.slice(2)]) };
}

const remedyApply = (manifest, root) => [process.execPath, remedyBin, 'apply', manifest, '--root', root];

// ------------------------------------------------------------------ main

function toolVersions(tools, fleetRan) {
  const first = (argv) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' }).stdout?.trim().split('\n')[0];
  const versions = { node: process.version, hyperfine: first(['hyperfine', '--version']) };
  if (tools.some((t) => t.name === 'CFEngine' && !t.skip)) versions.cfengine = first(['cf-agent', '--version']);
  if (tools.some((t) => t.name === 'Puppet' && !t.skip)) versions.puppet = first(['puppet', '--version']);
  if (tools.some((t) => t.name.startsWith('Ansible') && !t.skip) || fleetRan) versions.ansible = first(['ansible-playbook', '--version']);
  if (fleetRan) versions.mitogen = first(['dpkg-query', '-W', '-f', '${Version}', 'ansible-mitogen']);
  if (fleetRan) versions.openssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr?.trim();
  versions.sed = first(['sed', '--version']);
  return versions;
}

async function main() {
  const caCertsWasSet = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  delete process.env.NODE_EXTRA_CA_CERTS;
  const opts = parseOptions(process.argv.slice(2));
  const machine = prepareMachine(opts);
  const tools = availableTools(opts);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-bench-'));
  const startLoad = os.loadavg();
  const results = [];
  try {
    const tasks = allTasks(machine.realFiles).filter((t) => !opts.tasks || opts.tasks.includes(t.name));
    for (const task of tasks) benchTask(task, tools, results, ws, opts, machine);
    const curve = opts.curve ? benchCurve(ws, opts, machine) : undefined;
    const shapes = opts.shapes ? benchShapes(ws, remedyApply, machine, { sizes: opts.shapeSizes, names: opts.shapeNames }) : undefined;
    const seeds = allTasks(machine.realFiles).filter((t) => t.name === 'seed-drifted' || t.name === 'seed-converged');
    const fleet = opts.fleet ? await benchFleet(ws, opts, machine, seeds) : undefined;
    const imports = benchImports(ws, machine.realFiles);
    const env = { date: new Date().toISOString(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadBefore: startLoad, loadAfter: os.loadavg(), timer: machine.timer, caCertsWasSet, versions: toolVersions(tools, fleet !== undefined && !fleet.skipped), options: opts };
    report({ env, results, curve, shapes, fleet, imports });
  } finally {
    if (opts.keep) console.error(`bench: workspace kept in ${ws}`);
    else fs.rmSync(ws, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  process.exitCode = 1;
});
