import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from './helpers/cli';
import { snapshot, tempRoot } from './helpers/tree';

// A --var must name a variable of the manifest: one that vars: declares, or that a ${name}
// uses. A misspelled one would be ignored and the plan made with the default.

let dir: string;
beforeEach(() => {
  dir = tempRoot('remedy-vars-');
  fs.mkdirSync(path.join(dir, 'root/etc'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'root/etc/motd'), 'Welcome\n');
  fs.writeFileSync(path.join(dir, 'manifest.yml'), 'vars:\n  who: ops\n  where: here\nresources:\n  - id: motd\n    type: line\n    path: /etc/motd\n    line: Managed by ${who} ${required}\n');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const plan = (...vars: string[]) => runCli(['plan', path.join(dir, 'manifest.yml'), '--root', path.join(dir, 'root'), '--no-color', ...vars.flatMap((v) => ['--var', v])]);

test('a misspelled --var is an error naming the known variables; nothing is written', async () => {
  const before = snapshot(dir);
  const run = await plan('required=x', 'whoo=me');
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('--var whoo is not a variable of this manifest');
  expect(run.stderr).toContain("the manifest's variables are: where, who");
  expect(snapshot(dir)).toEqual(before);
});

test('a declared variable, and one only used by ${name}, are accepted', async () => {
  const run = await plan('who=me', 'required=x');
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('+Managed by me x');
});

test('a variable-doubling manifest (40 levels) is a clear error at the variable, not a crash or gigabytes', async () => {
  const vars = ['  v0: "0123456789abcdef0123456789abcdef"', ...Array.from({ length: 40 }, (_, i) => `  v${i + 1}: "\${v${i}}\${v${i}}"`)];
  fs.writeFileSync(path.join(dir, 'manifest.yml'), `vars:\n${vars.join('\n')}\nresources:\n  - id: motd\n    type: line\n    path: /etc/motd\n    line: "\${v40}"\n`);
  const run = await plan();
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/manifest\.yml:18:8: error: variable v16 expands to 2097152 characters, more than 1048576/);
  expect(run.stderr).not.toContain('internal error');
});
