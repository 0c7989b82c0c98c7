import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyOk, makeRoot, newestRecord, records, remedyOn, setting, wholeFile, writeFile, writeManifest } from './state-tree';

let root: string;
beforeEach(() => {
  root = makeRoot({ 'etc/php.ini': '[PHP]\nmemory_limit = 128M\n' });
  writeManifest(root, setting('memory', '/etc/php.ini', 'memory_limit', '256M'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** The cause of each planned file change, from the JSON plan. */
async function causes(): Promise<Record<string, string>> {
  const run = await remedyOn(root, 'plan', ['--format', 'json']);
  const doc = JSON.parse(run.stdout) as { files: { path: string; cause: string }[] };
  return Object.fromEntries(doc.files.map((f) => [f.path, f.cause]));
}

test('first time: new (remedy never wrote the file), in the JSON plan and the human report', async () => {
  expect(await causes()).toEqual({ '/etc/php.ini': 'new' });
  expect((await remedyOn(root, 'plan')).stdout).toContain('/etc/php.ini: new (first run of remedy on this file)');
});

test('after a manifest change: manifest (the file still has the bytes remedy wrote)', async () => {
  await applyOk(root);
  writeManifest(root, setting('memory', '/etc/php.ini', 'memory_limit', '512M'));
  expect(await causes()).toEqual({ '/etc/php.ini': 'manifest' });
  expect((await remedyOn(root, 'plan')).stdout).toContain('/etc/php.ini: manifest (as remedy last wrote it; the manifest now wants something else)');
});

test('after a hand edit: drift, shown in the plan and counted in the run record', async () => {
  await applyOk(root);
  writeFile(root, 'etc/php.ini', '[PHP]\nmemory_limit = 64M\n');
  expect(await causes()).toEqual({ '/etc/php.ini': 'drift' });
  expect((await remedyOn(root, 'plan')).stdout).toContain('/etc/php.ini: drift (changed outside remedy since remedy last wrote it)');
  await applyOk(root);
  expect(newestRecord(root)).toMatchObject({ drift: 1, files: [{ path: '/etc/php.ini', cause: 'drift' }] });
  writeManifest(root, setting('memory', '/etc/php.ini', 'memory_limit', '512M'));
  expect(await causes()).toEqual({ '/etc/php.ini': 'manifest' });
});

test('a hand chmod or chown of a file remedy wrote is drift, not a manifest change', async () => {
  writeManifest(root, wholeFile('conf', '/etc/app.conf', 'a = 1\n', '\n    mode: "0640"'));
  await applyOk(root);
  fs.chmodSync(path.join(root, 'etc/app.conf'), 0o666);
  expect(await causes()).toEqual({ '/etc/app.conf': 'drift' });
  await applyOk(root);
  expect(newestRecord(root)).toMatchObject({ drift: 1 });
  fs.chownSync(path.join(root, 'etc/app.conf'), 1234, 1234);
  writeManifest(root, wholeFile('conf', '/etc/app.conf', 'a = 1\n', '\n    mode: "0640"\n    owner: "0"\n    group: "0"'));
  expect(await causes()).toEqual({ '/etc/app.conf': 'drift' });
});

test('a file remedy wrote and someone deleted is drift too', async () => {
  await applyOk(root);
  fs.rmSync(path.join(root, 'etc/php.ini'));
  writeManifest(root, setting('memory', '/etc/php.ini', 'memory_limit', '256M', '\n    create: true'));
  expect(await causes()).toEqual({ '/etc/php.ini': 'drift' });
});

test('what remedy wrote outlives retention: a hand edit after the writing run was pruned is still drift', async () => {
  await applyOk(root, ['--keep', '1']);
  writeManifest(root, setting('other', '/etc/other.ini', 'a', '1', '\n    create: true'));
  await applyOk(root, ['--keep', '1']);
  expect(records(root).map((r) => r.files.map((f) => f.path))).toEqual([['/etc/other.ini']]);
  writeManifest(root, setting('memory', '/etc/php.ini', 'memory_limit', '256M'));
  writeFile(root, 'etc/php.ini', '[PHP]\nmemory_limit = 64M\n');
  expect(await causes()).toEqual({ '/etc/php.ini': 'drift' });
});

test('plan reads the state dir but never writes it', async () => {
  await remedyOn(root, 'plan');
  expect(fs.existsSync(path.join(root, 'var'))).toBe(false);
});
