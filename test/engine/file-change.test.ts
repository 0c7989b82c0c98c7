import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { snapshot, tempRoot } from '../helpers/tree';
import { describeErrno } from '../../src/engine/step-failure';
import { commitTemp, tempNameFor, writeTemp } from '../../src/engine/write';

// Another process acts while apply runs: a validator or a verify check that edits the
// file, or swaps a directory for a link, stands for a person or a script doing it at that
// very moment. The edit must survive (kept, and the run says so) and nothing outside the
// root may be written.

let work: string;
let root: string;
let outside: string;
const conf = () => path.join(root, 'etc/app/app.conf');

beforeEach(() => {
  work = fs.realpathSync(tempRoot('remedy-file-change-'));
  root = path.join(work, 'root');
  outside = path.join(work, 'outside');
  fs.mkdirSync(path.join(root, 'etc/app'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(conf(), 'listen 80\n');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** A shell command for a manifest: runs `script` in the root, then exits `code`. */
const sh = (script: string, code = 0) => JSON.stringify(['sh', '-c', `cd ${root} && ${script}; exit ${code}`]);

function apply(resources: string, top = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const manifest = path.join(work, 'manifest.yml');
  fs.writeFileSync(manifest, `resources:${resources}\n${top}`);
  return runCli(['apply', manifest, '--root', root, '--no-color', '--detailed-exitcodes']);
}

const LISTEN = (validate?: string) => `\n  - id: listen\n    type: line\n    path: /etc/app/app.conf\n    match: ^listen\n    line: listen 8080${validate ? `\n    validate: ${validate}` : ''}`;

describe('a hand edit made while apply runs is never overwritten', () => {
  test.each([
    ['appended in place', "printf 'hand-edit\\n' >> etc/app/app.conf"],
    ['replaced by rename', "printf 'listen 80\\nhand-edit\\n' > etc/app/x && mv etc/app/x etc/app/app.conf"],
  ])('an edit (%s) while a %%s validator runs: the file keeps it, the run refuses', async (_style, edit) => {
    const run = await apply(LISTEN(JSON.stringify(['sh', '-c', `${JSON.parse(sh(edit))[2]}`, '%s'])));
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('was changed by another process while remedy was writing it; the change was kept');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('listen 80\nhand-edit\n');
    expect(fs.readdirSync(path.dirname(conf()))).toEqual(['app.conf']);
  });

  test('an edit while a failing in-place validator runs is not replaced by the pre-image', async () => {
    const run = await apply(LISTEN(sh("printf 'listen 80\\nhand-edit\\n' > etc/app/x && mv etc/app/x etc/app/app.conf", 1)));
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('was changed by another process while the validator ran, so it was left as it is (not restored)');
    expect(run.stdout).not.toContain('the file was not changed');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('listen 80\nhand-edit\n');
  });

  test('a failing in-place validator with no edit meanwhile puts the exact previous bytes back', async () => {
    const run = await apply(LISTEN(sh('true', 1)));
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('the previous file was put back');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('listen 80\n');
  });

  test('an edit during verify: the automatic rollback leaves the edited file and says so', async () => {
    // The checks run again after the rollback: the edit is made once.
    const verify = `verify:\n  - command: ${sh("grep -q hand-edit etc/app/app.conf || printf 'hand-edit\\n' >> etc/app/app.conf", 1)}\n    retries: 0\n    settle: 0\n`;
    const run = await apply(LISTEN(), verify);
    expect(run.stdout).toContain('was changed by another process after remedy wrote it, so it was left as it is (not restored)');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('listen 8080\nhand-edit\n');
    // The pre-image is still in the run's backup.
    const backups = path.join(root, 'var/lib/remedy/backups');
    const [run1] = fs.readdirSync(backups);
    expect(fs.readFileSync(path.join(backups, run1, 'etc/app/app.conf'), 'utf8')).toBe('listen 80\n');
  });
});

test('a directory swapped for a link out of the root during verify: the automatic rollback writes nothing outside', async () => {
  fs.mkdirSync(path.join(outside, 'app'));
  fs.writeFileSync(path.join(outside, 'app/app.conf'), 'listen 8080\n');
  const before = snapshot(outside);
  const verify = `verify:\n  - command: ${sh(`mv etc/app etc/app.moved && ln -s ${outside}/app etc/app`, 1)}\n    retries: 0\n    settle: 0\n`;
  const run = await apply(LISTEN(), verify);
  expect(run.code).not.toBe(0);
  expect(snapshot(outside)).toEqual(before);
  expect(fs.readFileSync(path.join(outside, 'app/app.conf'), 'utf8')).toBe('listen 8080\n');
});

test('a mode change of a file with another hard link (outside the tree) is refused; the other name keeps its mode', async () => {
  fs.writeFileSync(path.join(outside, 'shadow'), 'secret\n', { mode: 0o600 });
  fs.linkSync(path.join(outside, 'shadow'), path.join(root, 'etc/app/shadow'));
  const run = await apply(`\n  - id: shadow\n    type: file\n    path: /etc/app/shadow\n    content: "secret\\n"\n    mode: "0644"`);
  expect(run.code).toBe(4);
  expect(run.stdout).toContain('has 2 hard links: changing its mode or owner would change every one of them');
  expect(fs.statSync(path.join(outside, 'shadow')).mode & 0o777).toBe(0o600);
});

test('a new content for a hard-linked file replaces only the managed name (a new inode)', async () => {
  fs.writeFileSync(path.join(outside, 'other'), 'old\n');
  fs.linkSync(path.join(outside, 'other'), path.join(root, 'etc/app/linked'));
  const run = await apply(`\n  - id: linked\n    type: file\n    path: /etc/app/linked\n    content: "new\\n"`);
  expect(run.code).toBe(2);
  expect(fs.readFileSync(path.join(outside, 'other'), 'utf8')).toBe('old\n');
  expect(fs.readFileSync(path.join(root, 'etc/app/linked'), 'utf8')).toBe('new\n');
});

test('a file name of 255 bytes is applied and backed up (the temp names are shortened to fit)', async () => {
  const name = 'é'.repeat(100) + 'x'.repeat(55);
  expect(Buffer.byteLength(name)).toBe(255);
  fs.writeFileSync(path.join(root, 'etc/app', name), 'listen 80\n');
  const run = await apply(`\n  - id: long\n    type: line\n    path: /etc/app/${name}\n    match: ^listen\n    line: listen 8080`);
  expect(run.code).toBe(2);
  expect(fs.readFileSync(path.join(root, 'etc/app', name), 'utf8')).toBe('listen 8080\n');
  const temp = tempNameFor(name);
  expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(255);
  expect(temp).toMatch(/^\.é+x*\.remedy-\d+-[0-9a-f]+\.tmp$/);
});

test('a rename that fails leaves no temp file behind', () => {
  const dir = path.join(work, 'd');
  fs.mkdirSync(path.join(dir, 'target/full'), { recursive: true });
  const tmp = writeTemp(path.join(dir, 'target'), Buffer.from('x'), { mode: 0o644 });
  expect(() => commitTemp(tmp, path.join(dir, 'target'))).toThrow();
  expect(fs.readdirSync(dir)).toEqual(['target']);
});

test('a file-system error reads once, without its code twice or a descriptor path', () => {
  const e = Object.assign(new Error("ENOSPC: no space left on device, write '/proc/self/fd/21/.app.conf.remedy-1-ab.tmp'"), { code: 'ENOSPC', syscall: 'write' });
  expect(describeErrno(e)).toBe('no space left on device (ENOSPC, write)');
});
