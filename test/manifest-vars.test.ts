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
