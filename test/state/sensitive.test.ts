import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { applyOk, makeRoot, modeOf, newestRecord, remedyOn, stateDir, stateDirText, writeFile, writeManifest } from './state-tree';

const OLD = 'old-secret-7f3a';
const NEW = 'new-secret-91c2';
const HAND = 'hand-secret-0b5e';
const SECRETS = [OLD, NEW, HAND];
const isBackup = (rel: string) => rel.startsWith('backups/');

let root: string;
beforeEach(() => {
  root = makeRoot({ 'etc/app.env': `TOKEN=${OLD}\n` });
  writeManifest(
    root,
    `
  - id: token
    type: line
    path: /etc/app.env
    line: TOKEN=${NEW}
    match: '^TOKEN='
    sensitive: true`,
  );
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

test('a sensitive file is backed up (0600) but its content is in no run record, index or report', async () => {
  const outputs = [(await applyOk(root)).stdout];
  const r = newestRecord(root);
  const backup = path.join(stateDir(root), r.files[0].backup!);
  expect(fs.readFileSync(backup, 'utf8')).toBe(`TOKEN=${OLD}\n`);
  expect(modeOf(backup)).toBe(0o600);
  expect(r.files[0].sensitive).toBe(true);
  for (const format of ['human', 'json']) outputs.push((await runCli(['history', '--root', root, '--format', format])).stdout);
  expectNoSecret(outputs.join('\n') + stateDirText(root, isBackup));
});

test('rollback output, its refusal and its record never show the content', async () => {
  await applyOk(root);
  const applied = newestRecord(root);
  writeFile(root, 'etc/app.env', `TOKEN=${HAND}\n`);
  const refused = await runCli(['rollback', applied.id, '--root', root]);
  expect(refused.code).toBe(1);
  const outputs = [refused.stdout, refused.stderr];
  for (const format of ['human', 'json']) {
    writeFile(root, 'etc/app.env', `TOKEN=${NEW}\n`);
    const run = await runCli(['rollback', applied.id, '--root', root, '--force', '--format', format]);
    expect(run.code).toBe(0);
    outputs.push(run.stdout, run.stderr);
  }
  expect(fs.readFileSync(path.join(root, 'etc/app.env'), 'utf8')).toBe(`TOKEN=${OLD}\n`);
  expectNoSecret(outputs.join('\n') + stateDirText(root, isBackup));
});

test('a refused validator on a sensitive file: the record says it failed, not what the validator printed', async () => {
  fs.appendFileSync(path.join(root, 'manifest.yml'), `    validate: ["sh", "-c", "cat %s; exit 1"]\n`);
  const run = await remedyOn(root, 'apply');
  expect(run.code).toBe(4);
  expect(newestRecord(root)).toMatchObject({ result: 'failed', files: [], resources: [{ status: 'failed' }] });
  expectNoSecret(run.stdout + stateDirText(root, isBackup));
});
