import * as fs from 'node:fs';
import { runCli } from '../helpers/cli';
import { applyOk, makeRoot, records, setting, stateDir, writeFile, writeManifest } from './state-tree';

let root: string;
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A changed run, two unchanged ones, a drift repair, a rollback: ids oldest first. */
async function someHistory(): Promise<string[]> {
  root = makeRoot({ 'etc/php.ini': '[PHP]\nmemory_limit = 128M\n' });
  writeManifest(root, setting('memory', '/etc/php.ini', 'memory_limit', '256M'));
  await applyOk(root);
  await applyOk(root);
  await applyOk(root);
  writeFile(root, 'etc/php.ini', '[PHP]\nmemory_limit = 64M\n');
  await applyOk(root);
  const ids = records(root).map((r) => r.id);
  await runCli(['rollback', ids[2], '--root', root]);
  return records(root).map((r) => r.id);
}

test('human: one line a run, oldest first, with time, command, result, changes, files, drift and manifest', async () => {
  const ids = await someHistory();
  const run = await runCli(['history', '--root', root, '--no-color']);
  expect(run.code).toBe(0);
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^RUN +STARTED \(UTC\) +COMMAND +RESULT +CHANGED +FILES +DRIFT +MANIFEST$/);
  const manifest = `${root}/manifest.yml`;
  const row = (i: number) => new RegExp(`^${ids[i].replace('.', '\\.')}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  `);
  expect(lines.slice(1, 5).map((l, i) => row(i).test(l))).toEqual([true, true, true, true]);
  expect(lines[1]).toMatch(/ apply +changed +1 +1 +0  /);
  expect(lines[1].endsWith(manifest)).toBe(true);
  expect(lines[2]).toMatch(/ apply +unchanged +0 +0 +0  .*\(2 runs in sync since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)$/);
  expect(lines[3]).toMatch(/ apply +changed +1 +1 +1  /);
  expect(lines[4]).toMatch(new RegExp(` rollback +changed +0 +1 +0  rollback of ${ids[2].replace('.', '\\.')} \\(`));
  expect(lines[5]).toBe(`4 run(s) in ${stateDir(root)}.`);
});

test('json: versioned fields for every run', async () => {
  const ids = await someHistory();
  const run = await runCli(['history', '--state-dir', stateDir(root), '--format', 'json']);
  const doc = JSON.parse(run.stdout);
  expect(doc).toMatchObject({ formatVersion: 1, command: 'history', stateDir: stateDir(root) });
  expect(doc.runs.map((r: { id: string }) => r.id)).toEqual(ids);
  expect(doc.runs[2]).toMatchObject({ command: 'apply', result: 'changed', changed: 1, files: 1, drift: 1, manifest: `${root}/manifest.yml`, root });
  expect(doc.runs[1]).toMatchObject({ result: 'unchanged', inSync: { runs: 2 } });
  expect(doc.runs[3]).toMatchObject({ command: 'rollback', rollbackOf: ids[2] });
  expect(Object.keys(doc.runs[0]).sort()).toEqual(['changed', 'command', 'drift', 'endedAt', 'files', 'host', 'id', 'manifest', 'result', 'root', 'startedAt', 'user']);
});

test('an empty or missing state dir: a plain message, exit 0', async () => {
  root = makeRoot({});
  const run = await runCli(['history', '--root', root]);
  expect(run).toMatchObject({ code: 0, stdout: `No runs recorded in ${stateDir(root)}.\n` });
});

test('a corrupt or foreign record is skipped with a warning; the other runs are listed', async () => {
  const ids = await someHistory();
  const runs = `${stateDir(root)}/runs`;
  fs.writeFileSync(`${runs}/${ids[0]}.json`, '{"formatVersion": 1, "id": "');
  fs.writeFileSync(`${runs}/${ids[1]}.json`, '{}');
  const run = await runCli(['history', '--root', root, '--format', 'json']);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout).runs.map((r: { id: string }) => r.id)).toEqual(ids.slice(2));
  expect(run.stderr).toContain(`skipped run ${ids[0]}: `);
  expect(run.stderr).toContain(`skipped run ${ids[1]}: the record of run ${ids[1]} is not a run record`);
});
