import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { applyOk, makeRoot, modeOf, newestRecord, read, records, remedyOn, setting, stateDir, wholeFile, writeManifest } from './state-tree';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
let root: string;
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('an apply records the run: manifest, who, where, when, each outcome, each file before/after and its backup', async () => {
  const oldIni = '[PHP]\nmemory_limit = 128M\n';
  root = makeRoot({ 'etc/php.ini': oldIni });
  fs.chmodSync(path.join(root, 'etc/php.ini'), 0o640);
  const manifest = writeManifest(root, setting('memory', '/etc/php.ini', 'memory_limit', '256M') + wholeFile('motd', '/etc/motd', 'hello\n'));
  const run = await applyOk(root);
  const r = newestRecord(root);
  expect(run.stdout).toContain(`Recorded as run ${r.id}`);
  expect(r).toMatchObject({ formatVersion: 1, command: 'apply', result: 'changed', manifest, root, user: os.userInfo().username, host: os.hostname(), pid: process.pid, drift: 0 });
  expect(r.id).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}$/);
  expect(Date.parse(r.endedAt!)).toBeGreaterThanOrEqual(Date.parse(r.startedAt));
  expect(r.resources.map((o) => [o.address, o.status])).toEqual([
    ['line.memory[/etc/php.ini]', 'changed'],
    ['file.motd[/etc/motd]', 'changed'],
  ]);
  const [ini, motd] = r.files;
  expect(ini).toMatchObject({ path: '/etc/php.ini', action: 'update', cause: 'new', sensitive: false, backup: `backups/${r.id}/etc/php.ini` });
  expect(ini.before).toMatchObject({ type: 'file', sha256: sha(oldIni), mode: '0640' });
  expect(ini.after).toMatchObject({ type: 'file', sha256: sha(read(root, 'etc/php.ini')), mode: '0640' });
  expect(motd).toMatchObject({ path: '/etc/motd', action: 'create', before: { type: 'absent' }, after: { type: 'file', sha256: sha('hello\n') } });
  expect(motd.backup).toBeUndefined();
});

test('backups hold the exact previous bytes, files 0600 and directories 0700', async () => {
  const latin1 = Buffer.from('[PHP]\r\n; caf\xe9\r\nmemory_limit = 128M', 'latin1');
  root = makeRoot({});
  fs.mkdirSync(path.join(root, 'etc'));
  fs.writeFileSync(path.join(root, 'etc/php.ini'), latin1);
  writeManifest(root, setting('memory', '/etc/php.ini', 'memory_limit', '256M'));
  await applyOk(root);
  const r = newestRecord(root);
  const backup = path.join(stateDir(root), r.files[0].backup!);
  expect(fs.readFileSync(backup).equals(latin1)).toBe(true);
  expect(modeOf(backup)).toBe(0o600);
  for (const dir of [`backups/${r.id}/etc`, `backups/${r.id}`, 'backups', 'runs', '.']) expect(modeOf(path.join(stateDir(root), dir))).toBe(0o700);
  expect(modeOf(path.join(stateDir(root), 'runs', `${r.id}.json`))).toBe(0o600);
});

test('a run that changes nothing is recorded as unchanged; consecutive ones share one record that counts them', async () => {
  root = makeRoot({ 'etc/motd': 'hello\n' });
  writeManifest(root, wholeFile('motd', '/etc/motd', 'hello\n'));
  for (let i = 0; i < 3; i++) await applyOk(root);
  const all = records(root);
  expect(all).toHaveLength(1);
  expect(all[0]).toMatchObject({ result: 'unchanged', files: [], inSync: { runs: 3 } });
  expect(fs.existsSync(path.join(stateDir(root), 'backups'))).toBe(false);
});

test('--keep N keeps the newest N runs and their backups', async () => {
  root = makeRoot({ 'etc/motd': 'v0\n' });
  const ids: string[] = [];
  for (let i = 1; i <= 4; i++) {
    writeManifest(root, wholeFile('motd', '/etc/motd', `v${i}\n`));
    await applyOk(root, ['--keep', '2']);
    ids.push(newestRecord(root).id);
  }
  expect(records(root).map((r) => r.id)).toEqual(ids.slice(2));
  expect(fs.readdirSync(path.join(stateDir(root), 'backups')).sort()).toEqual(ids.slice(2));
});

test("a killed run's temp files in the state dir are removed by the next run", async () => {
  root = makeRoot({ 'etc/motd': 'v0\n' });
  writeManifest(root, wholeFile('motd', '/etc/motd', 'v1\n'));
  await applyOk(root);
  // pid 2^22 + 1 is above Linux's pid_max: no live process has it.
  const dead = (dir: string, name: string) => path.join(stateDir(root), dir, `.${name}.remedy-4194305-0a0b0c0d.tmp`);
  fs.mkdirSync(path.join(stateDir(root), 'pending'), { recursive: true });
  const temps = [dead('.', 'written.json'), dead('pending', 'abc.json'), dead('runs', 'x.json')];
  for (const t of temps) fs.writeFileSync(t, 'half');
  await applyOk(root);
  for (const t of temps) expect(fs.existsSync(t)).toBe(false);
});

test('--keep must be a whole number of at least 1; nothing is written otherwise', async () => {
  root = makeRoot({ 'etc/motd': 'old\n' });
  writeManifest(root, wholeFile('motd', '/etc/motd', 'hello\n'));
  const run = await remedyOn(root, 'apply', ['--keep', '0']);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('--keep 0 is not a whole number of runs');
  expect(read(root, 'etc/motd').toString()).toBe('old\n');
});
