import * as fs from 'node:fs';
import * as path from 'node:path';
import { VERSION } from '../../src/cli/common';
import { runCli, type CliRun } from '../helpers/cli';
import { contents, snapshot, tempRoot, type Entry } from '../helpers/tree';

/** The edit most of these tests make: php.ini's memory_limit to 256M. */
export const MEMORY_256M = `  - id: memory
    type: ini
    path: /etc/php.ini
    section: PHP
    key: memory_limit
    value: 256M
`;

/** A sensitive line resource: /etc/app.env's TOKEN= line set to `secret`, which no report may show. */
export function sensitiveToken(secret: string): string {
  return `  - id: token
    type: line
    path: /etc/app.env
    line: TOKEN=${secret}
    match: '^TOKEN='
    sensitive: true
`;
}

/** A fresh --root holding `files` (path -> content; Buffers for exact bytes), and a manifest path beside it. */
export function makeTree(files: Record<string, string | Buffer>): { root: string; manifest: string; dir: string } {
  const dir = tempRoot('remedy-ci-');
  const root = path.join(dir, 'root');
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
    fs.chmodSync(path.join(root, rel), 0o644);
  }
  fs.mkdirSync(root, { recursive: true });
  return { root, dir, manifest: path.join(dir, 'manifest.yml') };
}

/** Runs a command on a manifest against a tree, as a CI job would (no colour). In-process: never two at once. */
export function remedy(command: string, target: string, root: string, extra: string[] = []): Promise<CliRun> {
  return runCli([command, target, '--root', root, '--no-color', ...extra]);
}

/** remedy's own state (history, lock) under --root: not a managed file, and different on every run. */
const STATE_DIR = path.join('var', 'lib', 'remedy');

/** The managed files of a tree: every path's bytes (or link target) and mtime, without remedy's state. */
export function managedSnapshot(root: string): Map<string, Entry> {
  return new Map([...snapshot(root)].filter(([rel]) => rel !== STATE_DIR && !rel.startsWith(STATE_DIR + path.sep)));
}

/** Every managed path's bytes (or link target) and mode: what "byte-identical" compares. */
export function treeState(root: string): Record<string, string> {
  const out = contents(managedSnapshot(root));
  for (const rel of Object.keys(out)) out[rel] += `\0mode ${(fs.lstatSync(path.join(root, rel)).mode & 0o7777).toString(8)}`;
  return out;
}

/** Output made independent of the machine: the temp dir, the version, and user/group ids. */
export function stable(text: string, dir: string): string {
  return text
    .split(dir)
    .join('<tmp>')
    .split(`"remedy": "${VERSION}"`)
    .join('"remedy": "<version>"')
    .replace(/"(uid|gid)": \d+/g, '"$1": "<id>"')
    .replace(/\n  "facts": \{[\s\S]*?\n  \}/, '\n  "facts": "<the machine\'s facts>"');
}
