import * as fs from 'node:fs';
import * as path from 'node:path';
import { makePlan } from '../../src/run/run';
import { tempRoot } from '../helpers/tree';

// A path glob expands in the managed tree's view: the directories before the first
// wildcard resolve like any managed path (links followed inside the root), so a listing
// never reads a directory outside the root and no message names a file there.

let work: string;
let root: string;
let outside: string;

beforeEach(() => {
  work = fs.realpathSync(tempRoot('remedy-glob-'));
  root = path.join(work, 'root');
  outside = path.join(work, 'outside');
  fs.mkdirSync(path.join(outside, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'etc/secret-name.conf'), 'listen 80\n');
  fs.mkdirSync(root);
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

async function planGlob(pattern: string) {
  const manifest = path.join(work, 'manifest.yml');
  fs.writeFileSync(manifest, `resources:\n  - id: edit\n    type: line\n    path: ${pattern}\n    match: ^listen\n    line: listen 8080\n`);
  const outcome = await makePlan({ manifest, root, vars: {} });
  return { outcome, text: JSON.stringify(outcome.diagnostics) };
}

test('a base directory that is a relative link out of the root: refused as leaving the root, the outside file never named', async () => {
  fs.symlinkSync('../outside/etc', path.join(root, 'etc'));
  const { outcome, text } = await planGlob('/etc/*.conf');
  expect(outcome.plan).toBeUndefined();
  expect(text).toContain('leaves the root');
  expect(text).not.toContain('secret-name');
});

test('a base directory that is an absolute link: taken inside the root, where nothing matches', async () => {
  fs.symlinkSync(path.join(outside, 'etc'), path.join(root, 'etc'));
  const { outcome, text } = await planGlob('/etc/*.conf');
  expect(text).toContain("path glob '/etc/*.conf' matches no file");
  expect(text).not.toContain('secret-name');
  expect(outcome.plan).toBeUndefined();
});

test('a base directory that is a link inside the root: followed; instances keep the managed path', async () => {
  fs.mkdirSync(path.join(root, 'data/etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'data/etc/a.conf'), 'listen 80\n');
  fs.writeFileSync(path.join(root, 'data/etc/b.conf'), 'listen 80\n');
  fs.symlinkSync('/data/etc', path.join(root, 'etc'));
  const { outcome } = await planGlob('/etc/*.conf');
  expect(outcome.plan?.resources.map((r) => r.path)).toEqual(['/etc/a.conf', '/etc/b.conf']);
  expect(outcome.plan?.files.map((f) => f.host)).toEqual([path.join(root, 'data/etc/a.conf'), path.join(root, 'data/etc/b.conf')]);
});

test('a wildcard in the first component still expands from the root', async () => {
  fs.mkdirSync(path.join(root, 'srv'));
  fs.writeFileSync(path.join(root, 'srv/x.conf'), 'listen 80\n');
  const { outcome } = await planGlob('/*/x.conf');
  expect(outcome.plan?.resources.map((r) => r.path)).toEqual(['/srv/x.conf']);
});
