'use strict';
// Preloaded with `node -r` by the bench: times every require() (inclusive of what it
// requires in turn) and, at exit, writes them as JSON to $REMEDY_REQUIRE_TIMES.
// The hook adds a little time of its own to each require; compare rows, not totals.
const fs = require('node:fs');
const Module = require('node:module');

const load = Module._load;
const requires = [];
const childTime = [];

Module._load = function timedLoad(request, parent, isMain) {
  let file = request;
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch {
    // unresolvable: load() throws the real error below
  }
  const started = process.hrtime.bigint();
  childTime.push(0n);
  try {
    return load.apply(this, arguments);
  } finally {
    const inclusive = process.hrtime.bigint() - started;
    const children = childTime.pop();
    if (childTime.length > 0) childTime[childTime.length - 1] += inclusive;
    requires.push({ file, from: parent?.filename, ms: Number(inclusive) / 1e6, selfMs: Number(inclusive - children) / 1e6 });
  }
};

process.on('exit', () => {
  fs.writeFileSync(process.env.REMEDY_REQUIRE_TIMES, JSON.stringify({ uptimeMs: process.uptime() * 1000, requires }));
});
