import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { snapshot } from '../helpers/tree';
import { applyOk, makeRoot, modeOf, newestRecord, read, records, setting, stateDir, wholeFile, writeFile, writeManifest } from './state-tree';

const LATIN1_INI = Buffer.from('[PHP]\r\n; caf\xe9\r\nmemory_limit = 128M', 'latin1');
let root: string;

beforeEach(() => {
  root = makeRoot({ 'etc/old.conf': 'old = 1\n' });
  writeFile(root, 'etc/php.ini', LATIN1_INI, 0o640);
  writeFile(root, 'etc/app.conf', 'app = 1\n', 0o644);
  fs.chmodSync(path.join(root, 'etc/old.conf'), 0o604);
  writeManifest(
    root,
    setting('memory', '/etc/php.ini', 'memory_limit', '256M') +
      wholeFile('app', '/etc/app.conf', 'app = 2\n', '\n    mode: "0600"') +
      wholeFile('new', '/etc/new.conf', 'new = 1\n') +
      wholeFile('old', '/etc/old.conf', undefined),
  );
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const rollback = (...args: string[]) => runCli(['rollback', ...args, '--root', root, '--no-color']);

/** The managed files as bytes and modes (the state dir left out). */
function managed(): Record<string, { bytes: string; mode: number } | undefined> {
  const out: Record<string, { bytes: string; mode: number } | undefined> = {};
  for (const name of ['php.ini', 'app.conf', 'new.conf', 'old.conf']) {
    const file = path.join(root, 'etc', name);
    out[name] = fs.existsSync(file) ? { bytes: fs.readFileSync(file).toString('base64'), mode: modeOf(file) } : undefined;
  }
  return out;
}

test('rollback restores every file the run changed byte for byte with its mode, removes what it created, recreates what it deleted', async () => {
  const before = managed();
  await applyOk(root);
  const applied = newestRecord(root);
  expect(managed()).not.toEqual(before);
  const run = await rollback(applied.id);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(managed()).toEqual(before);
  expect(read(root, 'etc/php.ini').equals(LATIN1_INI)).toBe(true);
  expect(run.stdout).toContain('restored  /etc/php.ini (previous bytes, mode and owner)');
  expect(run.stdout).toContain('removed   /etc/new.conf (the run created it)');
  expect(run.stdout).toContain('recreated /etc/old.conf (the run deleted it)');
  expect(run.stdout).toMatch(/Rolled back 4 file\(s\); undo it with remedy rollback \S+\.\n$/);
});

test('a rollback is a run itself: recorded, with backups, so it can be rolled back in turn', async () => {
  await applyOk(root);
  const applied = managed();
  const first = newestRecord(root);
  await rollback(first.id);
  const undo = newestRecord(root);
  expect(undo).toMatchObject({ command: 'rollback', rollbackOf: first.id, result: 'changed', manifest: first.manifest });
  expect(undo.files.map((f) => [f.path, f.action])).toEqual([
    ['/etc/old.conf', 'restore'],
    ['/etc/new.conf', 'restore'],
    ['/etc/app.conf', 'restore'],
    ['/etc/php.ini', 'restore'],
  ]);
  const rerun = await rollback(undo.id);
  expect(rerun.code).toBe(0);
  expect(managed()).toEqual(applied);
});

test('refuses, writing nothing, when a file changed since the run; --force restores it and keeps the hand edit as a backup', async () => {
  await applyOk(root);
  const applied = newestRecord(root);
  writeFile(root, 'etc/app.conf', 'edited by hand\n');
  const snap = snapshot(root);
  const stateBefore = fs.readdirSync(path.join(stateDir(root), 'runs'));
  const refused = await rollback(applied.id);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`/etc/app.conf changed since run ${applied.id}: its content is not what the run left (sha256 `);
  expect(refused.stderr).toContain('--force');
  expect(refused.stderr).not.toContain('/etc/php.ini');
  expect(snapshot(root)).toEqual(snap);
  expect(fs.readdirSync(path.join(stateDir(root), 'runs'))).toEqual(stateBefore);

  const forced = await rollback(applied.id, '--force');
  expect(forced.code).toBe(0);
  expect(read(root, 'etc/app.conf').toString()).toBe('app = 1\n');
  const undo = newestRecord(root);
  const kept = undo.files.find((f) => f.path === '/etc/app.conf')!.backup!;
  expect(fs.readFileSync(path.join(stateDir(root), kept), 'utf8')).toBe('edited by hand\n');
});

test('a deleted file changed since (recreated by hand) is refused too', async () => {
  await applyOk(root);
  writeFile(root, 'etc/old.conf', 'back by hand\n');
  const refused = await rollback(newestRecord(root).id);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('/etc/old.conf changed since run');
  expect(refused.stderr).toContain('the run left nothing; it is now a file');
});

test('a path that cannot be read any more (its directory replaced by a file) is refused as changed, not an internal error', async () => {
  await applyOk(root);
  fs.rmSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc'), 'not a directory\n');
  const snap = snapshot(root);
  const refused = await rollback(newestRecord(root).id);
  expect(refused.code).toBe(1);
  expect(refused.stderr).not.toContain('internal error');
  expect(refused.stderr).toContain('/etc/app.conf changed since run');
  expect(refused.stderr).toContain('is not a directory');
  expect(snapshot(root)).toEqual(snap);
});

test('an unknown run id is an error that points at history; an id cannot name a path', async () => {
  await applyOk(root);
  for (const id of ['20990101T000000.000Z-abcd', '../../etc/passwd']) {
    const run = await rollback(id);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no run ${id} in ${stateDir(root)}`);
    expect(run.stderr).toContain('remedy history');
  }
  expect(records(root)).toHaveLength(1);
});

test('--format json: what was restored, the new run id', async () => {
  await applyOk(root);
  const applied = newestRecord(root);
  const run = await rollback(applied.id, '--format', 'json');
  const doc = JSON.parse(run.stdout);
  expect(doc).toMatchObject({ formatVersion: 1, command: 'rollback', rollbackOf: applied.id, runId: newestRecord(root).id, result: 'changed', errors: [], changedSince: [] });
  expect(doc.files).toContainEqual({ path: '/etc/new.conf', action: 'removed', sensitive: false });
});

describe('rollback resolves each recorded path under the --root given now', () => {
  test('a tree copied with cp -a is rolled back in the copy; the original stays as the run left it', async () => {
    await applyOk(root);
    const run = newestRecord(root).id;
    const copy = `${root}-copy`;
    fs.cpSync(root, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    try {
      const applied = fs.readFileSync(path.join(root, 'etc/app.conf'), 'utf8');
      const done = await runCli(['rollback', run, '--root', copy, '--no-color']);
      expect(done.code).toBe(0);
      expect(fs.readFileSync(path.join(copy, 'etc/app.conf'), 'utf8')).toBe('app = 1\n');
      expect(fs.readFileSync(path.join(root, 'etc/app.conf'), 'utf8')).toBe(applied);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('a directory swapped for a link that leaves the root after the run: refused, nothing outside written, even with --force', async () => {
    await applyOk(root);
    const run = newestRecord(root).id;
    const outside = fs.mkdtempSync(path.join(path.dirname(root), 'remedy-outside-'));
    try {
      fs.mkdirSync(path.join(outside, 'etc'));
      fs.writeFileSync(path.join(outside, 'etc/app.conf'), 'outside\n');
      fs.renameSync(path.join(root, 'etc'), path.join(root, 'etc.moved'));
      fs.symlinkSync(`../../${path.basename(outside)}/etc`, path.join(root, 'etc'));
      const before = snapshot(outside);
      for (const extra of [[], ['--force']]) {
        const done = await rollback(run, ...extra);
        expect(done.code).toBe(1);
        expect(done.stdout + done.stderr).toContain('leaves the root');
        expect(snapshot(outside)).toEqual(before);
      }
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('directories the run made (create_parents)', () => {
  const deep = wholeFile('deep', '/opt/app/etc/app.conf', 'x = 1\n', '\n    create_parents: true');

  test('remedy rollback removes them again, deepest first; a directory that holds something now stays', async () => {
    writeManifest(root, deep);
    await applyOk(root);
    expect(newestRecord(root).files[0].madeDirs).toEqual(['/opt/app/etc', '/opt/app', '/opt']);
    expect((await rollback(newestRecord(root).id)).code).toBe(0);
    expect(fs.existsSync(path.join(root, 'opt'))).toBe(false);

    await applyOk(root);
    fs.writeFileSync(path.join(root, 'opt/app/notes'), 'kept\n');
    expect((await rollback(newestRecord(root).id)).code).toBe(0);
    expect(fs.existsSync(path.join(root, 'opt/app/etc'))).toBe(false);
    expect(fs.readFileSync(path.join(root, 'opt/app/notes'), 'utf8')).toBe('kept\n');
  });

  test('the automatic rollback after a failed verify removes them too', async () => {
    fs.writeFileSync(path.join(root, 'manifest.yml'), `resources:${deep}\nverify:\n  - command: ["false"]\n    settle: 0\n    retries: 0\n`);
    const run = await runCli(['apply', path.join(root, 'manifest.yml'), '--root', root, '--no-color']);
    expect(run.stdout).toContain('restored /opt/app/etc/app.conf');
    expect(fs.existsSync(path.join(root, 'opt'))).toBe(false);
  });
});
