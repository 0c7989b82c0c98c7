import * as fs from 'node:fs';
import * as path from 'node:path';
import { remedy, runToEnd, startRemedy } from '../reliability/built-cli';
import { makeRoot, records, stateDir, writeManifest } from './state-tree';

/*
 * A real `node bin/remedy.js apply` is killed (SIGKILL, with the commands it runs) after
 * it wrote a file and before its refresh phase. The next apply of the manifest must do
 * the refresh the dead run owed, even though its own plan has nothing to change.
 */

let root: string;
beforeEach(() => {
  root = makeRoot({ 'etc/app.conf': 'v = 1\n' });
  writeManifest(
    root,
    `
  - id: conf
    type: file
    path: /etc/app.conf
    content: "v = 2\\n"
    notify: [reload]
  - id: slow
    type: exec
    command: ["sh", "-c", "touch \${root}/slow-started; sleep 60"]
    creates: /slow-started
  - id: reload
    type: exec
    command: ["sh", "-c", "echo reloaded >> \${root}/reload.log"]
    refresh_only: true`,
  );
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

// The dead run's lock is taken over once its holder is seen dead: allow the short wait that takes.
const applyArgs = () => ['apply', path.join(root, 'manifest.yml'), '--root', root, '--var', `root=${root}`, '--detailed-exitcodes', '--wait', '10'];
const reloads = () => (fs.existsSync(path.join(root, 'reload.log')) ? fs.readFileSync(path.join(root, 'reload.log'), 'utf8') : '');

async function waitFor(file: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a run killed between its write and its refresh leaves the refresh pending; the next run does it and says so', async () => {
  const child = startRemedy(applyArgs(), { detached: true });
  const ended = runToEnd(child);
  await waitFor(path.join(root, 'slow-started'), 30_000);
  process.kill(-child.pid!, 'SIGKILL');
  expect((await ended).signal).toBe('SIGKILL');

  expect(fs.readFileSync(path.join(root, 'etc/app.conf'), 'utf8')).toBe('v = 2\n');
  expect(reloads()).toBe('');
  const dead = records(root)[0];
  expect(dead.result).toBe('running');
  expect(fs.readdirSync(path.join(stateDir(root), 'pending'))).toHaveLength(1);
  const history = await remedy(['history', '--root', root]);
  expect(history.stdout).toMatch(new RegExp(`${dead.id.replace('.', '\\.')} .* apply +interrupted `));

  const next = await remedy(applyArgs());
  expect(next.stderr).toBe('');
  expect(next.code).toBe(2);
  expect(next.stdout).toContain('No changes: 3 resource(s) in sync.');
  expect(next.stdout).toContain(`✓ changed exec.reload: refreshed (owed by run ${dead.id}, which stopped before its refresh phase)`);
  expect(reloads()).toBe('reloaded\n');
  expect(fs.readdirSync(path.join(stateDir(root), 'pending'))).toEqual([]);
  expect(records(root)[1]).toMatchObject({ result: 'changed', resources: [{ address: 'exec.reload', status: 'changed' }, {}, {}, {}] });

  const third = await remedy(applyArgs());
  expect(third.code).toBe(0);
  expect(reloads()).toBe('reloaded\n');
}, 60_000);

test('a run that completes its refresh phase leaves nothing pending', async () => {
  fs.writeFileSync(path.join(root, 'slow-started'), '');
  const run = await remedy(applyArgs());
  expect(run.code).toBe(2);
  expect(reloads()).toBe('reloaded\n');
  expect(fs.readdirSync(path.join(stateDir(root), 'pending'))).toEqual([]);
  expect((await remedy(applyArgs())).code).toBe(0);
  expect(reloads()).toBe('reloaded\n');
}, 60_000);
