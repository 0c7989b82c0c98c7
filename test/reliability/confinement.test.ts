import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyPlan } from '../../src/engine/apply';
import { makePlan } from '../../src/run/run';
import { runCli } from '../helpers/cli';
import { snapshot, tempRoot } from '../helpers/tree';
import { spyOnFs } from './fs-spy';

// Under --root, no symbolic link (absolute, relative, chained, a directory in the middle,
// one swapped in between plan and apply) and no `..` leads to a read or a write outside
// the root. A canary directory beside the root must never be touched: not its bytes, not
// its mtimes, its content never printed, and no file-system call of the run reaching it.

const APP = 'listen 80\n';

let work: string;
let root: string;
let outside: string;
let token: string;
/** What the runs did outside the root (the test's own checks are not watched). */
let violations: string[];

beforeEach(() => {
  work = fs.realpathSync(tempRoot('remedy-confine-'));
  root = path.join(work, 'root');
  outside = path.join(work, 'outside');
  token = `CANARY-${randomBytes(6).toString('hex')}`;
  fs.mkdirSync(path.join(root, 'etc/app'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/app/app.conf'), APP);
  fs.mkdirSync(path.join(outside, 'dir'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'canary.conf'), `${token}\nlisten 80\n`);
  // The same bytes as the file under the root: a link swapped in to it passes a content check.
  fs.writeFileSync(path.join(outside, 'dir/app.conf'), APP);
  violations = [];
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs `fn` with every file-system call that reaches outside the root recorded. */
async function watched<T>(fn: () => Promise<T>): Promise<T> {
  const spy = spyOnFs(outside);
  try {
    return await fn();
  } finally {
    spy.restore();
    violations.push(...spy.violations);
  }
}

function link(target: string, at: string): void {
  fs.symlinkSync(target, path.join(root, at));
}

/** Nothing outside the root was touched, read or shown. */
function expectConfined(before: ReturnType<typeof snapshot>, output = ''): void {
  expect(violations).toEqual([]);
  expect(snapshot(outside)).toEqual(before);
  expect(output).not.toContain(token);
}

const EDIT = (p: string) => `\n  - id: edit\n    type: line\n    path: ${p}\n    match: ^listen\n    line: listen 8080\n    create: true`;
const REMOVE = (p: string) => `\n  - id: remove\n    type: file\n    path: ${p}\n    ensure: absent`;
const SET = (p: string) => `\n  - id: set\n    type: ini\n    path: ${p}\n    section: ''\n    key: listen\n    separator: ' '\n    value: '8080'`;

const cases: [string, () => void, string][] = [
  ['an absolute link (taken inside the root)', () => link(path.join(outside, 'canary.conf'), 'etc/app/link.conf'), '/etc/app/link.conf'],
  ['a relative link that climbs out', () => link('../../../outside/canary.conf', 'etc/app/link.conf'), '/etc/app/link.conf'],
  ['chained links that end outside', () => (link('b.conf', 'etc/app/a.conf'), link('../../../outside/canary.conf', 'etc/app/b.conf')), '/etc/app/a.conf'],
  ['a relative directory link in the middle of the path', () => link('../../outside', 'etc/out'), '/etc/out/canary.conf'],
  ['an absolute directory link in the middle of the path', () => link(outside, 'etc/out'), '/etc/out/canary.conf'],
  ['.. in the managed path', () => undefined, '/etc/../../outside/canary.conf'],
  ['.. through a variable', () => undefined, '${dir}/canary.conf'],
  ['a glob through a directory link', () => link('../../outside', 'etc/out'), '/etc/*/canary.conf'],
  ['a glob match that is a link out', () => link('../../../outside/canary.conf', 'etc/app/z.conf'), '/etc/app/*.conf'],
];

describe.each(cases)('%s', (_name, arrange, managedPath) => {
  test.each([
    ['a line edit with create', EDIT],
    ['an ini edit', SET],
    ['ensure: absent', REMOVE],
  ])('%s never reaches outside the root', async (_what, resource) => {
    arrange();
    const before = snapshot(outside);
    const manifest = path.join(work, 'manifest.yml');
    fs.writeFileSync(manifest, `vars:\n  dir: /etc/../..\nresources:${resource(managedPath)}\n`);
    for (const command of ['plan', 'apply']) {
      const run = await watched(() => runCli([command, manifest, '--root', root, '--no-color', '--format', 'json']));
      expectConfined(before, run.stdout + run.stderr);
    }
  });
});

describe('a link swapped in between plan and apply', () => {
  /** Plans the edit of /etc/app/app.conf, lets `swap` change the tree, then applies the old plan. */
  async function planSwapApply(swap: () => void, resources = EDIT('/etc/app/app.conf')) {
    const manifest = path.join(work, 'manifest.yml');
    fs.writeFileSync(manifest, `resources:${resources}\n`);
    const { plan } = await watched(() => makePlan({ manifest, root, vars: {} }));
    expect(plan?.summary.changed).toBe(1);
    swap();
    const before = snapshot(outside);
    const result = await watched(() => applyPlan(plan!));
    expectConfined(before, JSON.stringify(result));
    return result;
  }

  const moveAside = (rel: string) => fs.renameSync(path.join(root, rel), path.join(root, `${rel}.moved`));

  test('a directory of the path, now a link to an outside directory with the same file: refused', async () => {
    const result = await planSwapApply(() => (moveAside('etc/app'), link(path.join(outside, 'dir'), 'etc/app')));
    expect(result.failed).toBe(1);
    expect(fs.readFileSync(path.join(outside, 'dir/app.conf'), 'utf8')).toBe(APP);
  });

  test('a relative directory link: refused', async () => {
    const result = await planSwapApply(() => (moveAside('etc/app'), link('../../outside/dir', 'etc/app')));
    expect(result.failed).toBe(1);
  });

  test('the file itself, now a link to an outside file with the same bytes: refused', async () => {
    const result = await planSwapApply(() => (moveAside('etc/app/app.conf'), link(path.join(outside, 'dir/app.conf'), 'etc/app/app.conf')));
    expect(result.failed).toBe(1);
  });

  test('a new file in a directory that became a link: refused', async () => {
    const result = await planSwapApply(() => (moveAside('etc/app'), link(path.join(outside, 'dir'), 'etc/app')), EDIT('/etc/app/new.conf'));
    expect(result.failed).toBe(1);
    expect(fs.readdirSync(path.join(outside, 'dir'))).toEqual(['app.conf']);
  });
});

describe('the default state dir (<root>/var/lib/remedy) is confined like a managed path', () => {
  const stateDir = () => path.join(root, 'var/lib/remedy');
  async function applyEdit() {
    const manifest = path.join(work, 'manifest.yml');
    fs.writeFileSync(manifest, `resources:${EDIT('/etc/app/app.conf')}\n`);
    const before = snapshot(outside);
    const run = await watched(() => runCli(['apply', manifest, '--root', root, '--no-color']));
    expectConfined(before, run.stdout + run.stderr);
    return run;
  }
  const refused = (run: { code: number; stderr: string }, why: string) => {
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot be trusted');
    expect(run.stderr).toContain(why);
    expect(fs.readFileSync(path.join(root, 'etc/app/app.conf'), 'utf8')).toBe(APP);
  };

  test('an absolute link is taken inside the root: the records land under the root', async () => {
    fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    link(outside, 'var/lib/remedy');
    const run = await applyEdit();
    expect(run.code).toBe(0);
    expect(fs.readdirSync(path.join(root, outside))).toEqual(expect.arrayContaining(['runs', 'backups', 'written.json']));
  });

  test.each([
    ['var', () => link('../outside', 'var')],
    ['var/lib', () => (fs.mkdirSync(path.join(root, 'var')), link('../../outside', 'var/lib'))],
    ['var/lib/remedy', () => (fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true }), link('../../../outside', 'var/lib/remedy'))],
  ])('a relative link at %s that leads out is refused, by plan and apply alike', async (_at, arrange) => {
    arrange();
    refused(await applyEdit(), 'it leads out of the root');
    const plan = await watched(() => runCli(['plan', path.join(work, 'manifest.yml'), '--root', root]));
    expect(plan.stderr).toContain('cannot be trusted');
  });

  test.each(['backups', 'runs', 'written.json'])('an entry of the state dir that is a link (%s) is refused', async (entry) => {
    fs.mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
    fs.symlinkSync(path.join(outside, 'dir'), path.join(stateDir(), entry));
    refused(await applyEdit(), `${entry} is a symbolic link`);
  });

  test('a directory on the way that others may write is refused (they could swap in a link)', async () => {
    fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    fs.chmodSync(path.join(root, 'var/lib'), 0o777);
    refused(await applyEdit(), 'others may write in it (mode 0777)');
  });

  test('a sticky directory on the way (like /tmp) is accepted', async () => {
    fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    fs.chmodSync(path.join(root, 'var/lib'), 0o1777);
    expect((await applyEdit()).code).toBe(0);
    expect(fs.statSync(stateDir()).mode & 0o777).toBe(0o700);
  });
});
