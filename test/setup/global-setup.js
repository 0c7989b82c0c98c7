'use strict';
// Jest globalSetup: fetch Debian's real php.ini-production, apache2.conf and
// wp-settings.php once per run (scripts/fetch-real-files.sh; instant when cached).
// Locally a failure only warns, and the tests that need the files skip with a
// reason; under CI=true it fails the run, because CI must exercise the real files.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const fetchScript = path.join(__dirname, '..', '..', 'scripts', 'fetch-real-files.sh');
const fetchTimeoutMs = 5 * 60 * 1000;

module.exports = function globalSetup() {
  fetchRealFiles();
  useRunTempDir();
};

/**
 * Every temp dir of this run (tests, the CLIs they start, Apache's work dirs) goes under
 * one dir that global-teardown.js removes, so a run, even a failed one, leaves nothing in /tmp.
 * Set after the fetch, whose cache must outlive the run. The workers inherit it.
 */
function useRunTempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-jest-'));
  fs.chmodSync(dir, 0o711); // Apache's www-data must reach the e2e doc roots below it.
  process.env.REMEDY_JEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
}

function fetchRealFiles() {
  if (process.env.REMEDY_SKIP_REAL_FILES === '1') {
    process.stderr.write('fetch-real-files: skipped (REMEDY_SKIP_REAL_FILES=1)\n');
    return;
  }
  // The script's stdout goes to our stderr so `jest --json` on stdout stays pure JSON.
  const run = spawnSync('bash', [fetchScript], { stdio: ['ignore', 2, 'inherit'], timeout: fetchTimeoutMs });
  if (run.status === 0) return;

  const why = run.error ? run.error.message : run.signal ? `killed by ${run.signal}` : `exit code ${run.status}`;
  if (process.env.CI === 'true') {
    throw new Error(`${fetchScript} failed (${why}); CI=true requires the real files`);
  }
  process.stderr.write(`warning: ${fetchScript} failed (${why}); tests that need the real files will be skipped\n`);
}
