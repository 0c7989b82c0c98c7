#!/usr/bin/env node
'use strict';
// `npm run demo`: copies the incident example tree to a temp dir and runs
// plan -> apply -> plan on it with the built CLI, showing each command and its exit code.
// Pass --keep to keep the temp tree for a look around.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const bin = path.join(repo, 'bin', 'remedy.js');
const manifest = 'examples/incident.yml';
const keep = process.argv.includes('--keep');

/** The exit codes a healthy demo shows: changes planned, changes applied, then nothing left. */
const steps = [
  { command: 'plan', expect: 2, why: 'shows the exact diff and writes nothing' },
  { command: 'apply', expect: 2, why: 'makes exactly that change' },
  { command: 'plan', expect: 0, why: 'nothing left to do: the tree is converged' },
];

function run(root, step) {
  const args = [step.command, manifest, '--root', root, '--detailed-exitcodes'];
  console.log(`\n$ remedy ${args.join(' ')}    # ${step.why}`);
  const res = spawnSync(process.execPath, [bin, ...args], { cwd: repo, stdio: 'inherit' });
  console.log(`(exit ${res.status})`);
  return res.status;
}

function main() {
  if (!fs.existsSync(path.join(repo, 'dist', 'remedy.js'))) {
    console.error('demo: dist/ is missing; run `npm ci` (or `npm run build`) first');
    return 1;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-demo-'));
  fs.cpSync(path.join(repo, 'examples', 'incident'), root, { recursive: true });
  console.log(`demo: copied examples/incident to ${root}`);
  try {
    const codes = steps.map((step) => run(root, step));
    const ok = codes.every((code, i) => code === steps[i].expect);
    console.log(ok ? '\ndemo: plan -> apply -> plan gave exit codes 2, 2, 0 as expected' : `\ndemo: unexpected exit codes ${codes.join(', ')} (expected 2, 2, 0)`);
    return ok ? 0 : 1;
  } finally {
    if (keep) console.log(`demo: the repaired tree is in ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

process.exitCode = main();
