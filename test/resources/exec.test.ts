import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyPlan } from '../../src/engine/apply';
import { probeIo } from '../../src/engine/read';
import { makePlan } from '../../src/run/run';
import { execKind, planExec, readExec, type ExecSpec, type ExecState } from '../../src/resources/exec';
import { runInRoot } from '../helpers/cli';
import { refusal, rejection } from '../helpers/refusal';
import { tempRoot } from '../helpers/tree';

const build: ExecSpec = { id: 'build', command: ['make', '-C', '/srv/app'] };
const nothing: ExecState = { guards: [] };

describe('exec plan (pure)', () => {
  test('no guard: runs, with the spec cwd, env, timeout and returns', () => {
    const p = planExec({ ...build, cwd: '/srv', env: { A: '1' }, timeout: 5, returns: [0, 2] }, nothing, false);
    expect(p).toEqual({
      action: 'run',
      reason: 'will run: make -C /srv/app',
      commands: [{ argv: ['make', '-C', '/srv/app'], cwd: '/srv', env: { A: '1' }, timeoutMs: 5000, returns: [0, 2] }],
    });
  });

  test('the default timeout is 300 s', () => {
    expect(planExec(build, nothing, false).commands[0].timeoutMs).toBe(300_000);
  });

  test('creates present: nothing to do; missing: runs and says why', () => {
    expect(planExec({ ...build, creates: '/srv/app/out' }, { createsExists: true, guards: [] }, false)).toEqual({
      action: 'none',
      reason: 'creates /srv/app/out exists: nothing to do',
      commands: [],
    });
    expect(planExec({ ...build, creates: '/srv/app/out' }, { createsExists: false, guards: [] }, false).reason).toBe('creates /srv/app/out is missing: will run: make -C /srv/app');
  });

  test('unless exit 0 and onlyif non-zero mean nothing to do', () => {
    const unless: ExecState = { guards: [{ guard: 'unless', shown: '[test -f x]', code: 0 }] };
    expect(planExec({ ...build, unless: ['test', '-f', 'x'] }, unless, false).reason).toBe('unless [test -f x] exited 0: nothing to do');
    const onlyif: ExecState = { guards: [{ guard: 'onlyif', shown: '[test -f x]', code: 1 }] };
    expect(planExec({ ...build, onlyif: ['test', '-f', 'x'] }, onlyif, false).action).toBe('none');
  });

  test('guards that say run are named in the reason', () => {
    const state: ExecState = {
      guards: [
        { guard: 'onlyif', shown: '[test -f pending]', code: 0 },
        { guard: 'unless', shown: '[test -f done]', code: 1 },
      ],
    };
    expect(planExec(build, state, false).reason).toBe('onlyif [test -f pending] exited 0; unless [test -f done] exited 1: will run: make -C /srv/app');
  });

  test('a shell string runs with /bin/sh -c', () => {
    const p = planExec({ id: 's', command: 'echo hi | tr a-z A-Z', shell: true }, nothing, false);
    expect(p.commands[0]).toMatchObject({ argv: ['echo hi | tr a-z A-Z'], shell: true });
    expect(p.reason).toBe('will run: echo hi | tr a-z A-Z');
  });

  test('refresh_only: nothing unless notified; notified, the command goes to refresh', () => {
    const spec = { ...build, refresh_only: true };
    expect(planExec(spec, nothing, false)).toEqual({
      action: 'none',
      reason: 'refresh_only: runs only when a resource that notifies it changes; none does in this plan',
      commands: [],
    });
    const p = planExec(spec, nothing, true);
    expect(p.action).toBe('run');
    expect(p.commands).toEqual([]);
    expect(p.refresh?.map((c) => c.argv)).toEqual([['make', '-C', '/srv/app']]);
    expect(p.reason).toBe('notified: will run after the file writes, if a notifier really changes: make -C /srv/app');
  });

  test('refresh_only still honours its guards', () => {
    expect(planExec({ ...build, refresh_only: true, creates: '/x' }, { createsExists: true, guards: [] }, true).action).toBe('none');
  });
});

describe('exec check()', () => {
  test('a string needs shell: true, and the hint shows the argv list', () => {
    const e = refusal(() => execKind.check!({ id: 'x', command: 'make -C /srv/app' }));
    expect(e.message).toContain('command is a string, but shell is not true');
    expect(e.hint).toContain('command: ["make", "-C", "/srv/app"]');
    expect(e.field).toBe('command');
    expect(refusal(() => execKind.check!({ id: 'x', command: ['true'], unless: 'test -f x' })).field).toBe('unless');
    expect(() => execKind.check!({ id: 'x', command: 'a | b', unless: 'test -f x', shell: true })).not.toThrow();
  });

  test('creates and cwd must be absolute, without ..', () => {
    expect(refusal(() => execKind.check!({ id: 'x', command: ['true'], creates: 'out' })).message).toBe("creates 'out' is not absolute");
    expect(refusal(() => execKind.check!({ id: 'x', command: ['true'], cwd: '/srv/../etc' })).field).toBe('cwd');
  });
});

describe('exec read() with a real probe io under --root', () => {
  let root: string;
  beforeEach(() => {
    root = tempRoot();
    fs.mkdirSync(path.join(root, 'srv'));
    fs.writeFileSync(path.join(root, 'srv/done'), '');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('creates is looked up under the root; when present no guard runs', async () => {
    const marker = path.join(root, 'ran');
    const spec: ExecSpec = { ...build, creates: '/srv/done', unless: ['sh', '-c', `touch ${marker}; exit 1`] };
    expect(await readExec(spec, probeIo(root))).toEqual({ createsExists: true, guards: [] });
    expect(fs.existsSync(marker)).toBe(false);
    expect(await readExec({ ...build, creates: '/srv/missing' }, probeIo(root))).toEqual({ createsExists: false, guards: [] });
  });

  test('guards run with cwd under the root', async () => {
    const spec: ExecSpec = { ...build, cwd: '/srv', unless: ['test', '-f', 'done'] };
    const state = await readExec(spec, probeIo(root));
    expect(state.guards).toEqual([{ guard: 'unless', shown: '[test -f done]', code: 0 }]);
    expect(planExec(spec, state, false).reason).toBe('unless [test -f done] exited 0: nothing to do');
  });

  test('onlyif runs first and stops the reading when it says nothing to do', async () => {
    const state = await readExec({ ...build, cwd: '/srv', onlyif: ['test', '-f', 'pending'], unless: ['false'] }, probeIo(root));
    expect(state.guards).toEqual([{ guard: 'onlyif', shown: '[test -f pending]', code: 1 }]);
  });

  test('a shell guard with env', async () => {
    const state = await readExec({ id: 'x', command: 'true', shell: true, env: { WANT: 'yes' }, unless: 'test "$WANT" = yes' }, probeIo(root));
    expect(state.guards[0].code).toBe(0);
  });

  test('a guard that cannot run, or times out, is an error rather than a guess', async () => {
    const missing = await rejection(readExec({ ...build, unless: ['no-such-command-remedy'] }, probeIo(root)));
    expect(missing.message).toMatch(/^unless \[no-such-command-remedy\] could not run \(exit 127/);
    expect(missing.field).toBe('unless');
    const slow = await rejection(readExec({ ...build, timeout: 0.2, onlyif: ['sleep', '5'] }, probeIo(root)));
    expect(slow.message).toBe('onlyif [sleep 5] timed out after 0.2 s; a check that cannot answer decides nothing');
  });

  test('a missing cwd is reported before any guard runs', async () => {
    const e = await rejection(readExec({ ...build, cwd: '/nope', unless: ['true'] }, probeIo(root)));
    expect(e.message).toBe('cwd /nope does not exist, so unless cannot run');
  });
});

describe('exec through the CLI', () => {
  let root: string;
  beforeEach(() => {
    root = tempRoot();
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/a.conf'), 'a = old\n');
    fs.writeFileSync(path.join(root, 'etc/b.conf'), 'b = old\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const cli = (command: string, resources: string) => runInRoot(root, command, resources);

  test('output is captured and shown; a non-zero exit fails the resource', async () => {
    const run = await cli('apply', `
  - id: noisy
    type: exec
    command: [sh, -c, "echo to-stdout; echo to-stderr >&2; exit 3"]`);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain("exec.noisy: sh -c 'echo to-stdout; echo to-stderr >&2; exit 3' exited 3");
    expect(run.stdout).toContain('| to-stdout');
    expect(run.stdout).toContain('| to-stderr');
  });

  test('returns accepts listed exit codes only', async () => {
    const ok = await cli('apply', `\n  - id: three\n    type: exec\n    command: [sh, -c, "exit 3"]\n    returns: [0, 3]`);
    expect(ok.code).toBe(2);
    const bad = await cli('apply', `\n  - id: four\n    type: exec\n    command: [sh, -c, "exit 4"]\n    returns: [0, 3]`);
    expect(bad.code).toBe(4);
    expect(bad.stdout).toContain('exited 4 (accepted: 0, 3)');
  });

  test('a timeout kills the command and fails the resource', async () => {
    const run = await cli('apply', `\n  - id: slow\n    type: exec\n    command: [sleep, "5"]\n    timeout: 0.2`);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('sleep 5 timed out');
  });

  test('a refresh_only exec notified by two changed files runs once, after both writes', async () => {
    const resources = `
  - id: rebuild
    type: exec
    refresh_only: true
    command: [sh, -c, "cat etc/a.conf etc/b.conf >> rebuilt.log"]
    cwd: /
  - id: a
    type: line
    path: /etc/a.conf
    line: a = new
    match: ^a =
    notify: [rebuild]
  - id: b
    type: line
    path: /etc/b.conf
    line: b = new
    match: ^b =
    notify: [rebuild]`;
    expect((await cli('apply', resources)).code).toBe(2);
    expect(fs.readFileSync(path.join(root, 'rebuilt.log'), 'utf8')).toBe('a = new\nb = new\n');
    expect((await cli('apply', resources)).code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'rebuilt.log'), 'utf8')).toBe('a = new\nb = new\n');
  });

  test('a failed command skips the resources that require it', async () => {
    const run = await cli('apply', `
  - id: fails
    type: exec
    command: ["false"]
  - id: after
    type: file
    path: /etc/after
    content: "x"
    requires: [fails]`);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain("skipped: 'fails' failed");
    expect(fs.existsSync(path.join(root, 'etc/after'))).toBe(false);
  });
});

describe('exec cwd is checked at plan, in apply order', () => {
  let root: string;
  beforeEach(() => {
    root = tempRoot();
    fs.mkdirSync(path.join(root, 'etc'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const earlierFile = `
  - id: first
    type: file
    path: /etc/first
    content: "x"`;
  const exec = (cwd: string, extra = '') => `
  - id: build
    type: exec
    command: ["true"]
    cwd: ${cwd}${extra}`;

  test.each([
    ['a link that leaves the root', () => fs.symlinkSync('../..', path.join(root, 'etc/rel')), '/etc/rel', 'path /etc/rel leaves the root'],
    ['a missing directory (no guard)', () => undefined, '/srv/app', 'cwd /srv/app does not exist (or is not a directory)'],
    ['a file', () => fs.writeFileSync(path.join(root, 'etc/file'), ''), '/etc/file', 'cwd /etc/file does not exist (or is not a directory)'],
  ])('%s: plan fails, apply writes nothing', async (_what, arrange, cwd, message) => {
    arrange();
    for (const command of ['plan', 'apply']) {
      const run = await runInRoot(root, command, earlierFile + exec(cwd));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('[build]');
      expect(run.stderr).not.toContain('internal error');
    }
    expect(fs.existsSync(path.join(root, 'etc/first'))).toBe(false);
  });

  test('a cwd an earlier resource creates is fine; a later one is too late', async () => {
    const dir = `
  - id: dir
    type: file
    path: /srv/app
    ensure: directory
    create_parents: true`;
    expect((await runInRoot(root, 'apply', dir + exec('/srv/app'))).code).toBe(2);
    fs.rmSync(path.join(root, 'srv'), { recursive: true });
    const late = await runInRoot(root, 'plan', exec('/srv/app') + dir);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('cwd /srv/app does not exist');
  });

  test('a refresh runs after every write: a directory made later counts', async () => {
    const run = await runInRoot(root, 'apply', `${exec('/srv/app', '\n    refresh_only: true')}
  - id: conf
    type: file
    path: /srv/app/app.conf
    content: "x"
    create_parents: true
    notify: [build]`);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('refreshed (notified by conf)');
  });

  test('a cwd swapped to a link out of the root after plan fails the step, not the run', async () => {
    fs.mkdirSync(path.join(root, 'srv'));
    const manifest = path.join(root, 'manifest.yml');
    fs.writeFileSync(manifest, `resources:${exec('/srv')}\n`);
    const { plan } = await makePlan({ manifest, root, vars: {} });
    fs.rmdirSync(path.join(root, 'srv'));
    fs.symlinkSync('../..', path.join(root, 'srv'));
    const result = await applyPlan(plan!);
    expect(result.failed).toBe(1);
    expect(result.outcomes[0].message).toContain('leaves the root');
  });
});
