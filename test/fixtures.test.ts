import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from './helpers/cli';
import { contents, copyTree, snapshot, tempRoot } from './helpers/tree';

const FIXTURES = path.join(__dirname, 'fixtures');

function cases(): [string, string][] {
  return fs
    .readdirSync(FIXTURES)
    .filter((k) => fs.statSync(path.join(FIXTURES, k)).isDirectory())
    .flatMap((kind) => fs.readdirSync(path.join(FIXTURES, kind)).filter((c) => fs.existsSync(path.join(FIXTURES, kind, c, 'manifest.yml'))).map((c): [string, string] => [kind, c]));
}

function extraArgs(dir: string): string[] {
  const file = path.join(dir, 'args.txt');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

describe.each(cases())('fixture %s/%s', (kind, name) => {
  const dir = path.join(FIXTURES, kind, name);
  const manifest = path.join(dir, 'manifest.yml');
  const errorFile = path.join(dir, 'error.txt');
  let root: string;
  const cli = (command: string) => runCli([command, manifest, '--root', root, '--detailed-exitcodes', '--no-color', ...extraArgs(dir)]);

  beforeEach(() => {
    root = tempRoot();
    copyTree(path.join(dir, 'before'), root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  if (fs.existsSync(errorFile)) {
    test('plan and apply refuse with a clear message and write nothing', async () => {
      const before = snapshot(root);
      const expected = fs.readFileSync(errorFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
      for (const command of ['plan', 'apply']) {
        const run = await cli(command);
        expect(run.code).toBe(1);
        for (const line of expected) expect(run.stderr).toContain(line);
        expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack trace
        expect(snapshot(root)).toEqual(before);
      }
    });
    return;
  }

  test('plan writes nothing; apply gives after/; a second plan and apply change nothing', async () => {
    const before = snapshot(root);
    const expectedDir = fs.existsSync(path.join(dir, 'after')) ? path.join(dir, 'after') : path.join(dir, 'before');
    const expected = contents(snapshot(expectedDir));
    const changes = JSON.stringify(contents(before)) !== JSON.stringify(expected);

    const plan = await cli('plan');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(changes ? 2 : 0);
    expect(snapshot(root)).toEqual(before);

    const apply = await cli('apply');
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(changes ? 2 : 0);
    expect(contents(snapshot(root))).toEqual(expected);

    const applied = snapshot(root);
    expect((await cli('plan')).code).toBe(0);
    expect((await cli('apply')).code).toBe(0);
    expect(snapshot(root)).toEqual(applied);
  });
});
