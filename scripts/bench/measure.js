'use strict';
// Wall-clock times of one command: hyperfine's JSON export when hyperfine is installed,
// else a node loop with process.hrtime. `prepare` (a shell script) runs before every
// timed run and is not timed. Peak RSS comes from GNU time.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { shQuote } = require('./policies');

/** Seconds of each timed run. Throws with the command's output when it fails. */
function timeCommand(argv, { runs, warmup = 0, prepare, hyperfine }) {
  return hyperfine ? hyperfineTimes(argv, runs, warmup, prepare) : nodeTimes(argv, runs, warmup, prepare);
}

function hyperfineTimes(argv, runs, warmup, prepare) {
  const json = path.join(os.tmpdir(), `remedy-bench-${process.pid}.json`);
  const args = ['-N', '--style', 'none', '--runs', String(runs), '--warmup', String(warmup), '--export-json', json];
  if (prepare) args.push('--prepare', `sh -c ${shQuote(prepare)}`);
  const res = spawnSync('hyperfine', [...args, '--', argv.map(shQuote).join(' ')], { encoding: 'utf8' });
  try {
    if (res.status !== 0) throw new Error(`${argv.join(' ')} failed under hyperfine: ${lastLines(res.stderr + res.stdout)}`);
    return JSON.parse(fs.readFileSync(json, 'utf8')).results[0].times;
  } finally {
    fs.rmSync(json, { force: true });
  }
}

function nodeTimes(argv, runs, warmup, prepare) {
  const times = [];
  for (let i = 0; i < warmup + runs; i++) {
    if (prepare) runOrThrow(['sh', '-c', prepare]);
    const started = process.hrtime.bigint();
    runOrThrow(argv);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (i >= warmup) times.push(seconds);
  }
  return times;
}

/** Runs a command once (untimed), throwing with its output when it fails or takes longer than `timeoutSeconds`. */
function runOrThrow(argv, { env, timeoutSeconds } = {}) {
  const res = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: env ?? process.env, timeout: timeoutSeconds && timeoutSeconds * 1000 });
  if (res.error?.code === 'ETIMEDOUT') throw new Error(`${argv[0]} took longer than ${timeoutSeconds} s (killed)`);
  if (res.status !== 0) throw new Error(`${argv.join(' ')} exited ${res.status ?? res.signal}: ${lastLines((res.stderr ?? '') + (res.stdout ?? '') + (res.error?.message ?? ''))}`);
  return res;
}

/** Peak resident set size in MiB of one run (GNU time's %M, in KiB). */
function peakRssMiB(argv, prepare) {
  if (prepare) runOrThrow(['sh', '-c', prepare]);
  const res = runOrThrow(['/usr/bin/time', '-f', 'peak-rss-kib %M', ...argv]);
  const m = /peak-rss-kib (\d+)/.exec(res.stderr);
  return m ? Number(m[1]) / 1024 : undefined;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function lastLines(text, n = 6) {
  return text.trim().split('\n').slice(-n).join('\n');
}

module.exports = { timeCommand, runOrThrow, peakRssMiB, median };
