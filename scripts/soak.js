#!/usr/bin/env node
'use strict';
// `npm run soak`: the long versions of the reliability tests (test/reliability): 10,000
// runs per property and per fuzzed manifest, 1,000 crash trials, 20 rounds of 20
// concurrent processes. One jest worker, so that the crash trials' kill timing is not
// skewed by another test file. Prints the figures each test reported, as a Markdown table
// for docs/reliability.md. Options pass on to jest (e.g. -t crash to soak one test);
// REMEDY_RUNS=n forces n runs everywhere instead.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-soak-')), 'figures.jsonl');

function runJest() {
  const started = Date.now();
  const env = { ...process.env, REMEDY_SOAK: '1', REMEDY_SOAK_REPORT: report, REMEDY_SKIP_REAL_FILES: '1' };
  const jest = spawnSync(process.execPath, [path.join(repo, 'node_modules/jest/bin/jest.js'), 'test/reliability', '--runInBand', ...process.argv.slice(2)], { cwd: repo, env, stdio: 'inherit' });
  return { status: jest.status ?? 1, minutes: (Date.now() - started) / 60000 };
}

function figuresTable() {
  const lines = fs.existsSync(report) ? fs.readFileSync(report, 'utf8').trim().split('\n').filter(Boolean) : [];
  const rows = lines.map((line) => {
    const { name, ...figures } = JSON.parse(line);
    return `| ${name} | ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join(', ')} |`;
  });
  return ['| test | figures |', '| --- | --- |', ...rows].join('\n');
}

const { status, minutes } = runJest();
process.stdout.write(`\nSoak figures (${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, ${minutes.toFixed(1)} min, jest exit ${status}):\n\n${figuresTable()}\n`);
process.exitCode = status;
