'use strict';
// Prints the bench results as markdown (ready for docs/performance.md) and keeps them,
// with every run's time, in .cache/bench/results.{md,json}.
const fs = require('node:fs');
const path = require('node:path');
const { repo } = require('./tools');

const FLOOR = 'node -e 0';

const seconds = (s) => (s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);
const ratio = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(2));

function mainTable(results) {
  const lines = ['| task | tool | median | runs | x `node -e 0` | remedy is N x faster | peak RSS |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |'];
  const rowOf = (task, tool) => results.find((r) => r.task === task && r.tool === tool && r.median !== undefined);
  for (const r of results) {
    const floor = rowOf(r.task, FLOOR) ?? results.find((x) => x.tool === FLOOR && x.median !== undefined);
    const remedy = rowOf(r.task, 'remedy');
    if (r.median === undefined) {
      if (r.skip !== 'not part of this task' && r.skip !== 'measured on the seed task only') lines.push(`| ${r.task} | ${r.tool} | ${r.error ? `error: ${firstLine(r.error)}` : `skipped: ${r.skip}`} | | | | |`);
      continue;
    }
    const vsFloor = floor ? ratio(r.median / floor.median) : '';
    const vsRemedy = remedy && r.tool !== 'remedy' && r.tool !== FLOOR ? ratio(r.median / remedy.median) : '';
    lines.push(`| ${r.task} | ${r.tool} | ${seconds(r.median)} | ${r.runs} | ${vsFloor} | ${vsRemedy} | ${r.rssMiB ? `${r.rssMiB.toFixed(1)} MiB` : ''} |`);
  }
  return lines.join('\n');
}

function curveTable(points, title) {
  const lines = [`${title}`, '', '| edits | keys in file | file size | median | per edit | peak RSS |', '| ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const p of points) {
    lines.push(`| ${p.edits.toLocaleString('en')} | ${p.keys.toLocaleString('en')} | ${(p.bytes / 1024).toFixed(0)} KiB | ${seconds(p.median)} | ${((p.median * 1e6) / p.edits).toFixed(0)} µs | ${p.rssMiB ? `${p.rssMiB.toFixed(1)} MiB` : ''} |`);
  }
  return lines.join('\n');
}

function shapesTable({ fixed, shapes }) {
  const sizes = shapes[0]?.points.map((p) => p.size) ?? [];
  const lines = [
    `Scaling shapes (drifted runs, 3 a point; a run of one edit, ${seconds(fixed)}, is taken off before the exponent k of time ~ n^k is fitted; linear is k <= 1.1):`,
    '',
    `| shape | ${sizes.map((n) => `n = ${n.toLocaleString('en')}`).join(' | ')} | k | peak RSS at the largest n | largest input |`,
    `| --- | ${sizes.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
  ];
  for (const s of shapes) {
    const last = s.points[s.points.length - 1];
    lines.push(`| ${s.name}: ${s.title} | ${s.points.map((p) => seconds(p.median)).join(' | ')} | ${s.exponent.toFixed(2)} | ${last.rssMiB ? `${last.rssMiB.toFixed(1)} MiB` : ''} | ${(last.bytes / 1048576).toFixed(1)} MiB |`);
  }
  return lines.join('\n');
}

function fleetTable(fleet) {
  if (fleet.skipped) return `Fleet tasks skipped: ${fleet.skipped}`;
  const lines = [
    `Fleet tasks (simulated hosts: one real sshd each on 127.0.0.1, on this same machine; forks ${fleet.forks} for every tool; each timed run starts with no ssh connection open; controller peak = the largest sum of PSS over the controller's processes, in the first run):`,
    '',
    '| task | tool | median | runs | per host | remedy is N x faster | controller peak |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of fleet.results) {
    const remedy = fleet.results.find((x) => x.task === r.task && x.tool === 'remedy' && x.median !== undefined);
    if (r.median === undefined) {
      lines.push(`| ${r.task} | ${r.tool} | ${r.error ? `error: ${firstLine(r.error)}` : `skipped: ${r.skip}`} | | | | |`);
      continue;
    }
    const vsRemedy = remedy && r.tool !== 'remedy' ? ratio(r.median / remedy.median) : '';
    lines.push(`| ${r.task} | ${r.tool} | ${seconds(r.median)} | ${r.runs} | ${seconds(r.median / r.hosts)} | ${vsRemedy} | ${r.peakMiB.toFixed(0)} MiB |`);
  }
  if (fleet.costs) {
    lines.push('', 'What one host costs the machine (CPU of all cores, controller and host side, ms a run; runs one after another):', '', '| piece | CPU ms |', '| --- | ---: |');
    for (const c of fleet.costs) lines.push(`| ${c.what} | ${c.ms.toFixed(0)} |`);
  }
  return lines.join('\n');
}

function importTable(costs, title) {
  const lines = [`${title}: ${costs.uptimeMs.toFixed(0)} ms in all (with the timing hook); remedy's own ${costs.ownModules} modules ${costs.ownSelfMs.toFixed(1)} ms (self)`, '', '| module | load ms (inclusive) | required by |', '| --- | ---: | --- |'];
  const shown = costs.rows.filter((x) => x.ms >= 0.5);
  for (const r of shown) lines.push(`| ${r.unit} | ${r.ms.toFixed(1)} | ${r.from} |`);
  if (shown.length === 0) lines.push('| (no package or built-in module over 0.5 ms) | | |');
  return lines.join('\n');
}

function header(env) {
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  const versions = Object.entries(env.versions)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
  const caCerts = env.caCertsWasSet ? 'NODE_EXTRA_CA_CERTS was set and is unset for every run' : 'NODE_EXTRA_CA_CERTS unset';
  return [`Run ${env.date} on ${env.cpus} x ${env.cpuModel}; load average ${load(env.loadBefore)} before, ${load(env.loadAfter)} after.`, `Timer: ${env.timer}; ${caCerts}. ${versions}.`].join('\n');
}

function report({ env, results, curve, shapes, fleet, imports }) {
  const parts = [header(env), mainTable(results)];
  if (curve) parts.push(curveTable(curve.byEdits, 'Edit count (one file of the largest size):'), curveTable(curve.bySize, 'File size (a fixed number of edits):'));
  if (shapes) parts.push(shapesTable(shapes));
  if (fleet) parts.push(fleetTable(fleet));
  parts.push(importTable(imports.version, '`remedy --version` imports'), importTable(imports.convergedApply, 'Converged seed apply imports (the modules of the bundle, loaded one by one from dist/)'));
  const markdown = parts.join('\n\n') + '\n';
  process.stdout.write(markdown);
  const dir = path.join(repo, '.cache', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'results.md'), markdown);
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ env, results, curve, shapes, fleet, imports }, null, 1) + '\n');
  console.error(`bench: results kept in ${path.relative(process.cwd(), path.join(dir, 'results.md'))} and results.json`);
}

function firstLine(s) {
  return s.split('\n')[0].slice(0, 160);
}

module.exports = { report };
