'use strict';
// One tool on one task: its folder in the workspace (pristine tree, live tree, policy
// files), and the untimed first run that checks it really does the work.
const fs = require('node:fs');
const path = require('node:path');
const { runOrThrow } = require('./measure');
const { writeTree } = require('./tasks');
const { writeFiles } = require('./tools');

/** A tool's folder in the workspace: its pristine tree, the live tree it edits, its policy files. */
function makeJob(ws, task, tool) {
  const dir = path.join(ws, task.name, tool.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
  const pristine = path.join(dir, 'pristine');
  const job = { dir, root: path.join(dir, 'root'), edits: task.edits, remedyArgs: task.remedyArgs, expand: task.expand ?? (() => []) };
  fs.mkdirSync(pristine, { recursive: true });
  writeTree(pristine, task.tree());
  writeFiles(tool.files(job));
  const restore = `rm -rf '${job.root}' && cp -a '${pristine}' '${job.root}'`;
  return { ...job, restore, argv: tool.command(job) };
}

function checkResult(task, root) {
  for (const want of task.expect) {
    const text = fs.readFileSync(path.join(root, want.path), 'utf8');
    const missing = (want.includes ?? []).filter((s) => !text.includes(s));
    const present = (want.excludes ?? []).filter((s) => text.includes(s));
    if (missing.length + present.length > 0) throw new Error(`did not do the work: ${want.path} ${missing.length ? `lacks ${JSON.stringify(missing[0])}` : `still has ${JSON.stringify(present[0])}`}`);
  }
}

/** Runs the tool once from the pristine tree (untimed by hyperfine), checks it did the work, returns seconds. */
function setUp(job, task, tool, maxSeconds) {
  runOrThrow(['sh', '-c', job.restore]);
  const started = process.hrtime.bigint();
  runOrThrow(job.argv, { timeoutSeconds: maxSeconds * 2 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!tool.floor) checkResult(task, job.root);
  return seconds;
}

module.exports = { makeJob, setUp };
