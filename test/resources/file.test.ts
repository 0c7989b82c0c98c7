import * as fs from 'node:fs';
import * as path from 'node:path';
import { restorePath } from '../../src/engine/file-change';
import { sameModel } from '../../src/engine/plan';
import type { FileModel, TransformContext } from '../../src/engine/types';
import { fileKind, parseMode, transformFile, type FileSpec } from '../../src/resources/file';
import { runCli, runInRoot } from '../helpers/cli';
import { noMachine } from '../helpers/machine';
import { refusal } from '../helpers/refusal';
import { tempRoot } from '../helpers/tree';

/** check() then transform(), as the engine runs them; the result must be a fixed point. */
function run(current: FileModel, spec: FileSpec, ctx: TransformContext = noMachine) {
  fileKind.check!(spec);
  const out = transformFile(current, spec, ctx);
  expect(sameModel(out.file, transformFile(out.file, spec, ctx).file)).toBe(true);
  return out;
}

const absent: FileModel = { type: 'absent' };
const motd: FileModel = { type: 'file', content: 'Welcome.\n', mode: 0o644, uid: 0, gid: 0 };
const dir: FileModel = { type: 'directory', mode: 0o755, uid: 0, gid: 0 };

describe('file: ensure file', () => {
  test('creates a missing file with its content, mode unset means the default', () => {
    const out = run(absent, { content: 'hello\n' });
    expect(out.file).toEqual({ type: 'file', content: 'hello\n' });
    expect(out.reason).toBe('create the file (6 bytes)');
  });

  test('replaces different content and says so with both hashes', () => {
    const out = run(motd, { content: 'hello\n' });
    expect(out.file).toEqual({ ...motd, content: 'hello\n' });
    expect(out.reason).toMatch(/^content differs \(sha256 [0-9a-f]{12} -> [0-9a-f]{12}, 6 bytes\)$/);
  });

  test('converged: returns the file unchanged and says why', () => {
    const out = run(motd, { content: 'Welcome.\n', mode: '0644' });
    expect(out.file).toBe(motd);
    expect(out.reason).toMatch(/^already in sync: content matches \(sha256 [0-9a-f]{12}\), mode 0644$/);
  });

  test('source is read through the context, relative to the manifest', () => {
    const ctx: TransformContext = { ...noMachine, readSource: (rel) => (rel === 'files/motd' ? 'from source\n' : '') };
    const out = run(motd, { source: 'files/motd' }, ctx);
    expect(out.file).toEqual({ ...motd, content: 'from source\n' });
    expect(out.reason).toContain('content differs from files/motd');
  });

  test('without content or source: a missing file is created empty, an existing one keeps its content', () => {
    expect(run(absent, {}).file).toEqual({ type: 'file', content: '' });
    expect(run(absent, {}).reason).toBe('create the file (empty)');
    const kept = run(motd, {});
    expect(kept.file).toBe(motd);
    expect(kept.reason).toBe('already in sync: content not managed');
  });

  test('mode only: the content stays, the reason shows old and new mode', () => {
    const out = run(motd, { mode: '0600' });
    expect(out.file).toEqual({ ...motd, mode: 0o600 });
    expect(out.reason).toBe('mode 0644 -> 0600');
  });

  test('owner and group resolve through the context; the reason shows the name and the id', () => {
    const ctx: TransformContext = { ...noMachine, userId: (n) => (n === 'www-data' ? 33 : Number(n)), groupId: (n) => (n === 'www-data' ? 33 : Number(n)) };
    const out = run(motd, { owner: 'www-data', group: 33 }, ctx);
    expect(out.file).toEqual({ ...motd, uid: 33, gid: 33 });
    expect(out.reason).toBe('owner 0 -> www-data (33); group 0 -> 33');
  });

  test('a numeric owner needs no passwd entry', () => {
    expect(run(absent, { owner: 0, group: '0', content: '' }).file).toEqual({ type: 'file', content: '', uid: 0, gid: 0 });
  });

  test('a directory in the way is refused without force, replaced with it', () => {
    const e = refusal(() => run(dir, { content: 'x' }));
    expect(e.message).toBe('the path is a directory, not a regular file; remedy does not replace it without force: true');
    expect(e.hint).toContain('force: true');
    const out = run(dir, { content: 'x', force: true });
    expect(out.file).toEqual({ type: 'file', content: 'x' });
    expect(out.reason).toBe('replace a directory by a regular file (force: true), 1 byte');
  });
});

describe('file: ensure directory', () => {
  test('creates a missing directory with its mode', () => {
    const out = run(absent, { ensure: 'directory', mode: '0750', create_parents: true });
    expect(out.file).toEqual({ type: 'directory', mode: 0o750 });
    expect(out.reason).toBe('create the directory (and its missing parents), mode 0750');
  });

  test('an existing directory: attributes only', () => {
    expect(run(dir, { ensure: 'directory', mode: '2775' }).reason).toBe('mode 0755 -> 2775');
    expect(run(dir, { ensure: 'directory', mode: '0755' }).reason).toBe('already a directory: mode 0755');
  });

  test('a file in the way is refused without force', () => {
    expect(refusal(() => run(motd, { ensure: 'directory' })).message).toBe('the path is a regular file, not a directory; remedy does not replace it without force: true');
    expect(run(motd, { ensure: 'directory', force: true }).file).toEqual({ type: 'directory' });
  });
});

describe('file: ensure link', () => {
  const link: FileModel = { type: 'link', target: '/etc/php/8.2/cli/php.ini' };

  test('creates, keeps and retargets links', () => {
    expect(run(absent, { ensure: 'link', target: '/etc/php/8.2/cli/php.ini' })).toEqual({ file: link, reason: 'create a link to /etc/php/8.2/cli/php.ini' });
    const same = run(link, { ensure: 'link', target: '/etc/php/8.2/cli/php.ini' });
    expect(same).toEqual({ file: link, reason: 'already a link to /etc/php/8.2/cli/php.ini' });
    expect(run(link, { ensure: 'link', target: 'php/8.3/cli/php.ini' }).reason).toBe('link points to /etc/php/8.2/cli/php.ini; point it to php/8.3/cli/php.ini');
  });

  test('a file in the way is refused without force', () => {
    expect(refusal(() => run(motd, { ensure: 'link', target: '/x' })).message).toContain('the path is a regular file, not a symbolic link');
    expect(run(motd, { ensure: 'link', target: '/x', force: true }).file).toEqual({ type: 'link', target: '/x' });
  });

  test('the engine does not follow the final link for ensure link and absent', () => {
    expect(fileKind.managesLink!({ ensure: 'link', target: '/x' })).toBe(true);
    expect(fileKind.managesLink!({ ensure: 'absent' })).toBe(true);
    expect(fileKind.managesLink!({ ensure: 'file' })).toBe(false);
    expect(fileKind.managesLink!({})).toBe(false);
  });
});

describe('file: ensure absent', () => {
  test('removes files and links, is a no-op when already absent', () => {
    expect(run(motd, { ensure: 'absent' }).file).toEqual(absent);
    expect(run({ type: 'link', target: 'a' }, { ensure: 'absent' }).reason).toBe('remove the link to a (not what it points to)');
    expect(run(absent, { ensure: 'absent' })).toEqual({ file: absent, reason: 'already absent' });
  });

  test('a directory only with force', () => {
    expect(refusal(() => run(dir, { ensure: 'absent' })).message).toBe('the path is a directory; remedy removes a directory only with force: true');
    expect(run(dir, { ensure: 'absent', force: true }).file).toEqual(absent);
  });

  test('creates() is false only for absent', () => {
    expect(fileKind.creates({})).toBe(true);
    expect(fileKind.creates({ ensure: 'directory' })).toBe(true);
    expect(fileKind.creates({ ensure: 'link', target: '/x' })).toBe(true);
    expect(fileKind.creates({ ensure: 'absent' })).toBe(false);
  });
});

describe('file: check()', () => {
  test('mode must be a quoted octal string, and the error says why', () => {
    expect(parseMode('0644')).toBe(0o644);
    expect(parseMode('755')).toBe(0o755);
    expect(parseMode('04755')).toBe(0o4755);
    const e = refusal(() => fileKind.check!({ mode: 644 }));
    expect(e.message).toContain('mode is the number 644, not a string');
    expect(e.message).toContain('YAML');
    expect(e.hint).toBe('quote it: mode: "0644"');
    expect(e.field).toBe('mode');
    // 493 is what YAML 1.1 (or 0o755) makes of 0755.
    expect(refusal(() => fileKind.check!({ mode: 493 })).hint).toBe('quote it: mode: "0755"');
    expect(refusal(() => fileKind.check!({ mode: '0898' })).message).toBe("mode '0898' is not an octal mode");
    expect(refusal(() => fileKind.check!({ mode: 'u+rw' })).field).toBe('mode');
  });

  test('content and source are mutually exclusive', () => {
    expect(refusal(() => fileKind.check!({ content: 'a', source: 'b' })).message).toContain('content and source are both set');
  });

  test('fields that an ensure value cannot use are refused, not ignored', () => {
    expect(refusal(() => fileKind.check!({ ensure: 'link' })).message).toBe('ensure: link needs target (what the link points to)');
    expect(refusal(() => fileKind.check!({ ensure: 'link', target: '/x', mode: '0644' })).field).toBe('mode');
    expect(refusal(() => fileKind.check!({ target: '/x' })).message).toContain('target is not allowed with ensure: file');
    expect(refusal(() => fileKind.check!({ ensure: 'directory', content: 'x' })).field).toBe('content');
    expect(refusal(() => fileKind.check!({ ensure: 'absent', owner: 'root' })).field).toBe('owner');
  });
});

describe('file: through the CLI on a real tree', () => {
  let root: string;
  beforeEach(() => {
    root = tempRoot();
    fs.mkdirSync(path.join(root, 'etc'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const cli = (command: string, resources: string) => runInRoot(root, command, resources);

  test('a mode reads the same in the reason and in the JSON plan', async () => {
    fs.mkdirSync(path.join(root, 'srv'), { mode: 0o755 });
    fs.chmodSync(path.join(root, 'srv'), 0o755);
    const plan = await runInRoot(root, 'plan', `\n  - id: shared\n    type: file\n    ensure: directory\n    path: /srv\n    mode: "2775"`, ['--format', 'json']);
    const doc = JSON.parse(plan.stdout);
    expect(doc.resources[0].reason).toContain('mode 0755 -> 2775');
    expect(doc.files[0]).toMatchObject({ before: { mode: '0755' }, after: { mode: '2775' } });
  });

  test("owner and group names resolve through the managed system's /etc/passwd and /etc/group, not the host's", async () => {
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nsite:x:4321:4322::/srv:/usr/sbin/nologin\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nsite-group:x:4322:\n');
    fs.writeFileSync(path.join(root, 'etc/site.conf'), 'x\n');
    const spec = (owner: string) => `\n  - id: site\n    type: file\n    path: /etc/site.conf\n    owner: ${owner}\n    group: site-group`;
    const plan = await cli('plan', spec('site'));
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/owner \d+ -> site \(4321\)/);
    expect(plan.stdout).toMatch(/group \d+ -> site-group \(4322\)/);
    const unknown = await cli('plan', spec('nobody-here'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("user 'nobody-here' does not exist on the managed system (/etc/passwd)");
  });

  test('a mode-only change: plan shows it, apply chmods without rewriting, then nothing to do', async () => {
    const file = path.join(root, 'etc/secret');
    fs.writeFileSync(file, 'token\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const inode = fs.statSync(file).ino;
    const spec = `\n  - id: secret\n    type: file\n    path: /etc/secret\n    mode: "0600"`;
    const plan = await cli('plan', spec);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('mode 0644 -> 0600');
    expect(fs.statSync(file).mode & 0o7777).toBe(0o644);
    expect((await cli('apply', spec)).code).toBe(2);
    expect(fs.statSync(file).mode & 0o7777).toBe(0o600);
    expect(fs.statSync(file).ino).toBe(inode);
    expect(fs.readFileSync(file, 'utf8')).toBe('token\n');
    expect((await cli('plan', spec)).code).toBe(0);
  });

  test('force: a file becomes a directory, an empty directory becomes a file', async () => {
    fs.writeFileSync(path.join(root, 'etc/conf.d'), 'old\n');
    fs.mkdirSync(path.join(root, 'etc/motd'));
    const spec = `
  - id: confd
    type: file
    path: /etc/conf.d
    ensure: directory
    force: true
  - id: motd
    type: file
    path: /etc/motd
    content: "hi\\n"
    force: true`;
    const apply = await cli('apply', spec);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(2);
    expect(fs.statSync(path.join(root, 'etc/conf.d')).isDirectory()).toBe(true);
    expect(fs.readFileSync(path.join(root, 'etc/motd'), 'utf8')).toBe('hi\n');
    expect((await cli('plan', spec)).code).toBe(0);
  });

  test('a link whose target does not exist (yet) is planned without a false "directory does not exist"', async () => {
    const run = await cli('plan', `\n  - id: alt\n    type: file\n    path: /etc/alternative\n    ensure: link\n    target: /opt/none/x`);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('create a link to /opt/none/x');
  });

  test('a link with create_parents gets its directories', async () => {
    const spec = `\n  - id: cur\n    type: file\n    path: /srv/app/releases/current\n    ensure: link\n    target: v2\n    create_parents: true`;
    expect((await cli('apply', spec)).code).toBe(2);
    expect(fs.readlinkSync(path.join(root, 'srv/app/releases/current'))).toBe('v2');
  });

  test('directories create_parents makes count as existing for later resources, not earlier ones', async () => {
    const first = `\n  - id: app\n    type: file\n    path: /opt/app/etc/app.conf\n    content: "a\\n"\n    create_parents: true`;
    const later = `\n  - id: extra\n    type: file\n    path: /opt/app/etc/extra.conf\n    content: "b\\n"`;
    const parent = `\n  - id: log\n    type: file\n    path: /opt/app/log.conf\n    content: "c\\n"`;
    const early = await cli('plan', later + first);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('the directory /opt/app/etc does not exist, so /opt/app/etc/extra.conf cannot be created');
    const apply = await cli('apply', first + later + parent);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(2);
    expect(fs.readdirSync(path.join(root, 'opt/app/etc')).sort()).toEqual(['app.conf', 'extra.conf']);
    expect(fs.readFileSync(path.join(root, 'opt/app/log.conf'), 'utf8')).toBe('c\n');
  });

  test('ensure file follows a link to the file it points to (like line and ini)', async () => {
    fs.writeFileSync(path.join(root, 'etc/real.conf'), 'old\n');
    fs.symlinkSync('real.conf', path.join(root, 'etc/app.conf'));
    expect((await cli('apply', `\n  - id: app\n    type: file\n    path: /etc/app.conf\n    content: "new\\n"`)).code).toBe(2);
    expect(fs.readlinkSync(path.join(root, 'etc/app.conf'))).toBe('real.conf');
    expect(fs.readFileSync(path.join(root, 'etc/real.conf'), 'utf8')).toBe('new\n');
  });

  test('removing a non-empty directory fails at apply and removes nothing', async () => {
    fs.mkdirSync(path.join(root, 'etc/cache'));
    fs.writeFileSync(path.join(root, 'etc/cache/entry'), 'x');
    const run = await cli('apply', `\n  - id: cache\n    type: file\n    path: /etc/cache\n    ensure: absent\n    force: true`);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('ENOTEMPTY');
    expect(fs.readFileSync(path.join(root, 'etc/cache/entry'), 'utf8')).toBe('x');
  });

  test('a rollback puts a replaced file back over the directory that replaced it', () => {
    const rootReal = fs.realpathSync(root);
    const host = path.join(rootReal, 'etc/conf.d');
    fs.mkdirSync(host);
    restorePath(rootReal, host, { type: 'file', content: 'was a file\n', mode: 0o640 });
    expect(fs.readFileSync(host, 'utf8')).toBe('was a file\n');
    expect(fs.statSync(host).mode & 0o7777).toBe(0o640);
    restorePath(rootReal, host, { type: 'directory', mode: 0o750 });
    expect(fs.statSync(host).isDirectory()).toBe(true);
    expect(fs.statSync(host).mode & 0o7777).toBe(0o750);
  });
});

describe('file: source stays in the manifest folder', () => {
  let work: string;
  let root: string;
  let manifestDir: string;
  const secret = 'SECRET-hostname-of-the-controller';
  beforeEach(() => {
    work = tempRoot();
    root = path.join(work, 'root');
    manifestDir = path.join(work, 'site');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(manifestDir, 'roles/web/files'), { recursive: true });
    fs.writeFileSync(path.join(manifestDir, 'roles/web/files/motd'), 'from the role\n');
    fs.writeFileSync(path.join(work, 'hostname'), `${secret}\n`);
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  async function planWith(source: string, manifest = 'site.yml') {
    fs.writeFileSync(path.join(manifestDir, manifest), `resources:\n  - id: motd\n    type: file\n    path: /etc/motd\n    source: ${JSON.stringify(source)}\n`);
    return runCli(['plan', path.join(manifestDir, manifest), '--root', root, '--no-color', '--format', 'json']);
  }

  test('a source below the manifest is read', async () => {
    const run = await planWith('roles/web/files/motd');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('from the role');
  });

  test.each([
    ['.. out of the folder', () => '../hostname'],
    ['an absolute path outside', () => path.join(work, 'hostname')],
    ['a link in files/ that leads out', () => (fs.symlinkSync(path.join(work, 'hostname'), path.join(manifestDir, 'roles/web/files/link')), 'roles/web/files/link')],
  ])('%s is refused, and its content never shown', async (_what, source) => {
    const run = await planWith(source());
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(`outside the manifest's folder ${manifestDir}`);
    expect(run.stdout + run.stderr).not.toContain(secret);
  });
});
