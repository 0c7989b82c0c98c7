#!/usr/bin/env node
'use strict';
// Prints the one-line test summary CI reports, from jest's --json output file:
//   tests: N passed, N failed
// then, when there are any, a line with the skipped count and a line naming the
// test files that crashed before running a test (their failure is not counted).
// Exits 1 when the file is missing or is not jest's JSON (jest never got that far).
const fs = require('node:fs');
const path = require('node:path');

function summaryLines(result) {
  const lines = [`tests: ${result.numPassedTests} passed, ${result.numFailedTests} failed`];
  const skipped = result.numPendingTests + result.numTodoTests;
  if (skipped > 0) lines.push(`skipped: ${skipped}`);
  return lines;
}

/** Test files that failed without a failing test of their own: they never ran. */
function filesThatFailedToRun(result) {
  return result.testResults
    .filter((file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'))
    .map((file) => path.relative(process.cwd(), file.name));
}

function readJestResult(file) {
  if (!file) throw new Error('usage: summarize-jest.js <jest --json output file>');
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) throw new Error(`jest wrote no JSON to ${file}`);
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (typeof result.numPassedTests !== 'number' || !Array.isArray(result.testResults)) {
    throw new Error(`${file} is not jest's --json output`);
  }
  return result;
}

try {
  const result = readJestResult(process.argv[2]);
  console.log(summaryLines(result).join('\n'));
  const crashed = filesThatFailedToRun(result);
  if (crashed.length > 0) console.log(`test files that failed to run: ${crashed.join(', ')}`);
} catch (err) {
  console.error(`summarize-jest: ${err.message}`);
  process.exitCode = 1;
}
