import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRecords, type RunRecord } from '../../src/state/records';
import { runCli, type CliRun } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

/** A temp --root holding `files` (path -> content), with its manifest outside the managed paths. */
export function makeRoot(files: Record<string, string>): string {
  const root = tempRoot('remedy-state-');
  for (const [rel, content] of Object.entries(files)) writeFile(root, rel, content);
  return root;
}

export function writeFile(root: string, rel: string, content: string | Buffer, mode?: number): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  if (mode !== undefined) fs.chmodSync(file, mode);
}

export const read = (root: string, rel: string): Buffer => fs.readFileSync(path.join(root, rel));
export const modeOf = (file: string): number => fs.statSync(file).mode & 0o777;
export const stateDir = (root: string): string => path.join(root, 'var/lib/remedy');

/** Writes ROOT/manifest.yml with `resources:` + the given YAML. */
export function writeManifest(root: string, resources: string): string {
  const manifest = path.join(root, 'manifest.yml');
  fs.writeFileSync(manifest, `resources:${resources}\n`);
  return manifest;
}

/** `remedy COMMAND ROOT/manifest.yml --root ROOT` with detailed exit codes, no colour. */
export function remedyOn(root: string, command: 'plan' | 'apply', extra: string[] = []): Promise<CliRun> {
  return runCli([command, path.join(root, 'manifest.yml'), '--root', root, '--detailed-exitcodes', '--no-color', ...extra]);
}

export async function applyOk(root: string, extra: string[] = []): Promise<CliRun> {
  const run = await remedyOn(root, 'apply', extra);
  if (run.code !== 0 && run.code !== 2) throw new Error(`apply exited ${run.code}:\n${run.stdout}${run.stderr}`);
  return run;
}

export function records(root: string): RunRecord[] {
  return loadRecords(stateDir(root));
}

export function newestRecord(root: string): RunRecord {
  const all = records(root);
  return all[all.length - 1];
}

/** Every byte the state dir holds, as text: to prove a secret is in none of it. */
export function stateDirText(root: string, except: (rel: string) => boolean = () => false): string {
  const dir = stateDir(root);
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((rel) => fs.statSync(path.join(dir, rel)).isFile() && !except(rel));
  return files.map((rel) => `${rel}\n${fs.readFileSync(path.join(dir, rel), 'utf8')}`).join('\n');
}

/** A `line` resource that sets `key = value` in `file` (matching the key, so it converges). */
export const setting = (id: string, file: string, key: string, value: string, extra = '') => `
  - id: ${id}
    type: line
    path: ${file}
    line: "${key} = ${value}"
    match: '^${key}\\s*='${extra}`;

/** A `file` resource: the whole content, or `ensure: absent` when content is undefined. */
export const wholeFile = (id: string, file: string, content: string | undefined, extra = '') => `
  - id: ${id}
    type: file
    path: ${file}
    ${content === undefined ? 'ensure: absent' : `content: ${JSON.stringify(content)}`}${extra}`;
