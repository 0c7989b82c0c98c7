#!/usr/bin/env node
'use strict';
// `--version` alone answers from package.json: cron runs it often. Everything else runs
// the bundled CLI from its code cache (src/cli/start.ts).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${require('../package.json').version}\n`);
else require('../dist/cli/start.js').start(process.argv);
