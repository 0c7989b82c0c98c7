'use strict';
// Jest globalTeardown: removes the run's temp dir made by global-setup.js.
const fs = require('node:fs');

module.exports = function removeRunTempDir() {
  const dir = process.env.REMEDY_JEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
