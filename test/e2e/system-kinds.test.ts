import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';

/*
 * The package, group and user kinds on the real system, as root, with the real tools:
 * apt-get installs and removes Debian's small `hello` package (from the Debian mirror),
 * groupadd/useradd/usermod/userdel make and change a real account. Each case plans,
 * applies, plans again (in sync) and undoes what it did. .ci/run runs them as root;
 * elsewhere they skip with the reason unless they can run.
 */

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = process.getuid?.() !== 0 ? 'not root' : !has('apt-get') || !has('dpkg-query') ? 'no apt-get/dpkg-query' : !has('useradd') ? 'no useradd' : undefined;
if (missing && process.env.CI === 'true') throw new Error(`CI=true, so the package and account tests must run, but: ${missing}`);
const describeAsRoot = missing ? describe.skip : describe;

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-system-kinds-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(command: string, manifest: string) {
  const file = path.join(dir, 'manifest.yml');
  fs.writeFileSync(file, manifest);
  return runCli([command, file, '--root', '/', '--state-dir', path.join(dir, 'state'), '--detailed-exitcodes', '--no-color']);
}

const installedVersion = (name: string) => {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev} ${Version}', name], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.startsWith('ii') ? r.stdout.split(' ').pop() : undefined;
};

describeAsRoot('package: the real apt and dpkg', () => {
  const hello = (ensure: string) => `resources:\n  - { id: hello, type: package, name: hello, ensure: ${ensure} }\n`;
  beforeAll(() => spawnSync('apt-get', ['-q', '-y', 'remove', 'hello'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }));
  afterAll(() => spawnSync('apt-get', ['-q', '-y', 'remove', 'hello'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }));

  test('installs a missing package with its version in the plan, then is in sync, then removes it', async () => {
    const plan = await run('plan', hello('present'));
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/install hello \(none -> \S+\)/);
    expect(installedVersion('hello')).toBeUndefined();
    const applied = await run('apply', hello('present'));
    expect(applied.code).toBe(2);
    expect(installedVersion('hello')).toMatch(/^\d/);
    const again = await run('plan', hello('present'));
    expect(again.code).toBe(0);
    expect((await run('apply', hello('absent'))).code).toBe(2);
    expect(installedVersion('hello')).toBeUndefined();
    expect((await run('plan', hello('absent'))).code).toBe(0);
  }, 300_000);

  test('a package apt does not know is an error at plan, nothing installed', async () => {
    const plan = await run('plan', 'resources:\n  - { id: nope, type: package, name: remedy-no-such-package }\n');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('package remedy-no-such-package is not known to apt');
  });
});

describeAsRoot('group and user: the real shadow tools', () => {
  const group = 'remedytestg';
  const user = 'remedytestu';
  const cleanup = () => {
    spawnSync('userdel', [user]);
    spawnSync('groupdel', [group]);
  };
  beforeAll(cleanup);
  afterAll(cleanup);
  const account = (shell: string, ensure = 'present') =>
    `resources:\n  - { id: g, type: group, name: ${group}, ensure: ${ensure} }\n  - { id: u, type: user, name: ${user}, group: ${group}, groups: [${group}], shell: ${shell}, system: true, ensure: ${ensure}, password: "$6$remedy$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx", requires: [g] }\n`;

  test('creates, changes, keeps in sync and removes a real account; the hash is never shown or recorded', async () => {
    const applied = await run('apply', account('/bin/sh'));
    expect(applied.code).toBe(2);
    const entry = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.trim().split(':');
    expect(entry[6]).toBe('/bin/sh');
    expect(spawnSync('id', ['-nG', user], { encoding: 'utf8' }).stdout).toContain(group);
    expect((await run('plan', account('/bin/sh'))).code).toBe(0);
    const changed = await run('apply', account('/bin/bash'));
    expect(changed.code).toBe(2);
    expect(spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.trim().split(':')[6]).toBe('/bin/bash');
    const everything = [applied.stdout, applied.stderr, changed.stdout, ...fs.readdirSync(path.join(dir, 'state/runs')).map((f) => fs.readFileSync(path.join(dir, 'state/runs', f), 'utf8'))].join('\n');
    expect(everything).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
    // userdel before groupdel: the removal runs in the reverse of the creation order only if the manifest says so.
    const removed = await run('apply', `resources:\n  - { id: u, type: user, name: ${user}, ensure: absent }\n  - { id: g, type: group, name: ${group}, ensure: absent, requires: [u] }\n`);
    expect(removed.code).toBe(2);
    expect(spawnSync('getent', ['passwd', user]).status).not.toBe(0);
    expect(spawnSync('getent', ['group', group]).status).not.toBe(0);
  }, 120_000);
});
