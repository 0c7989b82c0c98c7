#!/usr/bin/env node
'use strict';
// `npm run build` (also `prepare`, so `npm ci` runs it). Four steps into dist/, or into
// the folder given by `--outDir DIR`:
//   1. the manifest validator, generated from the schema (scripts/write-validator.js);
//   2. tsc;
//   3. the CLI bundled into one file, dist/remedy.js (esbuild), which bin/remedy.js runs;
//   4. V8's code cache for that bundle, dist/remedy.js.cache, made by running the bundle
//      on a copy of examples/incident (plan, apply, apply again).
// See src/cli/start.ts and docs/performance.md.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.join(__dirname, '..');
/**
 * Loaded by the bundle only when asked for: pino for logging (it finds its transports by
 * file path), postject to build the self-contained executable for a host without node.
 */
const NOT_BUNDLED = ['pino', 'pino-pretty', 'postject'];

function outDir(argv) {
  const at = argv.indexOf('--outDir');
  return path.resolve(at >= 0 ? argv[at + 1] : path.join(repo, 'dist'));
}

function runNode(args, what) {
  const run = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${what} failed (${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`);
}

function bundle(dist) {
  require('esbuild').buildSync({
    entryPoints: [path.join(dist, 'cli', 'main.js')],
    outfile: path.join(dist, 'remedy.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: NOT_BUNDLED,
    // jsonc-parser's main entry is a UMD build whose inner require()s esbuild cannot follow.
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
    // ASCII only (esbuild escapes the rest), so the bundle can be read as latin1: 2.8 ms less a start than UTF-8 decoding.
    charset: 'ascii',
    logLevel: 'warning',
  });
  if (fs.readFileSync(path.join(dist, 'remedy.js')).some((byte) => byte > 0x7f)) throw new Error('dist/remedy.js is not ASCII: src/cli/start.ts reads it as latin1');
}

function writeCodeCache(dist) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-build-'));
  try {
    fs.cpSync(path.join(repo, 'examples', 'incident'), root, { recursive: true });
    const argv = (command) => ['node', 'remedy', command, path.join(repo, 'examples', 'incident.yml'), '--root', root, '--no-color'];
    const runs = [argv('plan'), argv('apply'), argv('apply')];
    const script = `require(${JSON.stringify(path.join(dist, 'cli', 'start.js'))}).writeCodeCache(${JSON.stringify(runs)}).then(() => { process.exitCode = 0; })`;
    runNode(['-e', script], 'writing the code cache');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function main() {
  const dist = outDir(process.argv);
  runNode([path.join(__dirname, 'write-validator.js')], 'generating the manifest validator');
  runNode([require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dist], 'tsc');
  bundle(dist);
  writeCodeCache(dist);
}

try {
  main();
} catch (e) {
  console.error(`build: ${e.message}`);
  process.exitCode = 1;
}
