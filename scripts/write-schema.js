#!/usr/bin/env node
'use strict';
// Writes schema/manifest.schema.json from the built registry (run `npm run schema`,
// which builds first). The file is what `remedy schema` prints; test/schema.test.ts
// fails when it is stale. Written to a temp file and renamed: a failed run never
// leaves a truncated schema behind.
const fs = require('node:fs');
const path = require('node:path');

const repo = path.join(__dirname, '..');
const dist = path.join(repo, 'dist');
const target = path.join(repo, 'schema', 'manifest.schema.json');

if (!fs.existsSync(path.join(dist, 'manifest', 'schema.js'))) {
  console.error('write-schema: dist/ is missing; run `npm run schema` (it builds first)');
  process.exit(1);
}
const { manifestSchema } = require(path.join(dist, 'manifest', 'schema.js'));
const { kinds } = require(path.join(dist, 'resources', 'index.js'));

fs.mkdirSync(path.dirname(target), { recursive: true });
const temp = `${target}.tmp-${process.pid}`;
fs.writeFileSync(temp, JSON.stringify(manifestSchema(kinds), null, 2) + '\n');
fs.renameSync(temp, target);
console.log(`write-schema: wrote ${path.relative(repo, target)} (${kinds.length} kinds: ${kinds.map((k) => k.kind).join(', ')})`);
