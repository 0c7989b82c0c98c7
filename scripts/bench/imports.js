'use strict';
// What each package, built-in module and remedy's own code costs to load in one CLI run,
// measured with require-timer.js.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runOrThrow } = require('./measure');
const { repo } = require('./tools');

/** node_modules/<pkg> (scoped too), node:<builtin>, or remedy's own file. */
function unitOf(file) {
  if (!file) return '?';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (inModules) return inModules[1];
  if (!path.isAbsolute(file)) return file.startsWith('node:') ? file : `node:${file}`;
  return path.relative(repo, file);
}

const isOwn = (unit) => unit.startsWith('dist/') || unit.startsWith('bin/');

/** Rows of { unit, ms, from }: a package's cost is its inclusive time where code outside it required it. */
function importCosts(argv) {
  const out = path.join(os.tmpdir(), `remedy-bench-requires-${process.pid}.json`);
  runOrThrow([process.execPath, '-r', path.join(__dirname, 'require-timer.js'), ...argv.slice(1)], { env: { ...process.env, REMEDY_REQUIRE_TIMES: out } });
  const { uptimeMs, requires } = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  const rows = new Map();
  let ownSelf = 0;
  for (const r of requires) {
    const unit = unitOf(r.file);
    if (isOwn(unit)) {
      ownSelf += r.selfMs;
      continue;
    }
    if (unitOf(r.from) === unit) continue;
    const row = rows.get(unit) ?? { unit, ms: 0, from: new Set() };
    row.ms += r.ms;
    row.from.add(unitOf(r.from));
    rows.set(unit, row);
  }
  const sorted = [...rows.values()].map((r) => ({ ...r, from: [...r.from].join(', ') })).sort((a, b) => b.ms - a.ms);
  return { uptimeMs, ownSelfMs: ownSelf, ownModules: requires.filter((r) => isOwn(unitOf(r.file))).length, rows: sorted };
}

module.exports = { importCosts };
