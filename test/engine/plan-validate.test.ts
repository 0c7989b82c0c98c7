import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { snapshot, tempRoot } from '../helpers/tree';

// Plan runs each `%s` validator on the candidate, in a private temp dir, so that a dry run
// in CI says what apply would refuse; the managed system is never touched by it.

let work: string;
let root: string;
let seen: string;

beforeEach(() => {
  work = fs.realpathSync(tempRoot('remedy-plan-validate-'));
  root = path.join(work, 'root');
  seen = path.join(work, 'seen.log');
  fs.mkdirSync(path.join(root, 'etc/sudoers.d'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/sudoers.d/app'), 'ok\n');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** A validator that logs the path it was given, then refuses any file holding `bad`. */
const validator = () => `sh -c 'echo "$0" >> ${seen}; ! grep -q bad "$0"' %s`;

function manifestFor(line: string, validate = validator(), file = '/etc/sudoers.d/app', extra = ''): string {
  const manifest = path.join(work, 'manifest.yml');
  fs.writeFileSync(manifest, `resources:\n  - id: rule\n    type: line\n    path: ${JSON.stringify(file)}\n    line: ${line}\n    validate: ${JSON.stringify(validate)}${extra}\n`);
  return manifest;
}

const plan = (manifest: string, ...extra: string[]) => runCli(['plan', manifest, '--root', root, '--no-color', '--detailed-exitcodes', ...extra]);

test('a candidate the validator refuses fails the plan with its output, before apply; nothing is written', async () => {
  const before = snapshot(root);
  const run = await plan(manifestFor('bad rule'));
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('validation refuses the planned /etc/sudoers.d/app');
  expect(run.stderr).toContain('apply would refuse it too');
  expect(run.stderr).toMatch(/manifest\.yml:\d+:\d+: error: \[rule\]/);
  expect(snapshot(root)).toEqual(before);
  // The candidate was checked in a private temp dir, never beside the real file.
  const given = fs.readFileSync(seen, 'utf8').trim();
  expect(path.dirname(given)).not.toBe(path.join(root, 'etc/sudoers.d'));
  expect(path.basename(given)).toBe('app');
  expect(fs.existsSync(given)).toBe(false);
});

test('an accepted candidate is shown as validated in the human, JSON and markdown plans', async () => {
  const manifest = manifestFor('good rule');
  const human = await plan(manifest);
  expect(human.code).toBe(2);
  expect(human.stdout).toMatch(/validated: sh -c .* %s accepts the candidate/);
  const json = JSON.parse((await plan(manifest, '--format', 'json')).stdout);
  expect(json.files[0].validation).toEqual([{ command: expect.stringContaining('%s'), result: 'passed' }]);
  expect((await plan(manifest, '--format', 'markdown')).stdout).toMatch(/validated: sh -c .* accepts the candidate/);
});

test('--no-validate plans without running the validator; an in-place validator is said to run at apply', async () => {
  expect((await plan(manifestFor('bad rule'), '--no-validate')).code).toBe(2);
  expect(fs.existsSync(seen)).toBe(false);
  const inPlace = await plan(manifestFor('good rule', `sh -c 'echo run >> ${seen}'`));
  expect(inPlace.stdout).toMatch(/validate at apply: sh -c .* \(in place, no %s/);
  expect(fs.existsSync(seen)).toBe(false);
});

test('a sensitive file: the refusal hides the validator output', async () => {
  const run = await plan(manifestFor('bad secret-token-1234', `sh -c 'cat "$0"; exit 1' %s`, '/etc/sudoers.d/app', '\n    sensitive: true'));
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('validator output hidden');
  expect(run.stderr).not.toContain('secret-token-1234');
});

test.each(['a$&b.conf', "a$'b.conf", 'a$`b.conf', 'a$$b.conf'])('%%s reaches the validator literally for a file named %s, at plan and at apply', async (name) => {
  fs.writeFileSync(path.join(root, 'etc', name), 'x\n');
  const manifest = manifestFor('good rule', 'test -f %s', `/etc/${name}`);
  expect((await plan(manifest)).code).toBe(2);
  const apply = await runCli(['apply', manifest, '--root', root, '--no-color', '--detailed-exitcodes']);
  expect(apply.code).toBe(2);
  expect(fs.readFileSync(path.join(root, 'etc', name), 'utf8')).toBe('x\ngood rule\n');
});
