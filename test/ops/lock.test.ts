import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';
import { installRemedy, runRemedy, startRemedy, waitFor, type Started } from './installed-remedy';

// Two real processes race for the run lock of one state dir, as two cron jobs (or cron
// and a person) do. The holder runs an exec resource that sleeps, so it keeps the lock.

let pkg: string;
let dir: string;
let root: string;
let manifest: string;
let stateDir: string;

const holderFile = () => path.join(stateDir, 'run.lock.json');
const lockHeld = () => fs.existsSync(holderFile());
const apply = (...extra: string[]) => ['apply', manifest, '--root', root, '--no-color', ...extra];

/** Starts an apply that holds the lock for about `seconds`, and resolves once it holds it. */
async function startHolder(seconds: number): Promise<Started> {
  fs.writeFileSync(path.join(dir, 'seconds'), String(seconds));
  const holder = startRemedy(pkg, apply());
  await waitFor(lockHeld, 10_000, 'the first apply to take the lock');
  return holder;
}

beforeAll(() => {
  pkg = installRemedy();
}, 120_000);

afterAll(() => fs.rmSync(pkg, { recursive: true, force: true }));

beforeEach(() => {
  dir = tempRoot('remedy-lock-');
  root = path.join(dir, 'root');
  stateDir = path.join(root, 'var', 'lib', 'remedy');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  manifest = path.join(dir, 'manifest.yml');
  fs.writeFileSync(
    manifest,
    `resources:
  - id: slow
    type: exec
    command: 'sleep "$(cat ${dir}/seconds)"'
    shell: true
  - id: motd
    type: file
    path: /etc/motd
    content: "managed\\n"
`,
  );
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a second apply exits 75 at once, naming the holder; plan and check do not take the lock', async () => {
  const holder = await startHolder(3);
  const second = await runRemedy(pkg, apply('--detailed-exitcodes'));
  expect(second.code).toBe(75);
  expect(second.ms).toBeLessThan(2000);
  expect(second.stdout).toBe('');
  expect(second.stderr).toContain(`pid ${holder.child.pid} on ${os.hostname()}, started 20`);
  expect(second.stderr).toContain('--wait');
  expect((await runRemedy(pkg, ['plan', manifest, '--root', root])).code).toBe(0);
  expect((await runRemedy(pkg, ['check', manifest, '--root', root])).code).toBe(2);
  expect(lockHeld()).toBe(true);
  const first = await holder.done;
  expect(first.code).toBe(0);
  expect(fs.readdirSync(stateDir).filter((n) => n.startsWith('run.lock'))).toEqual([]);
}, 30_000);

test('--wait 10 waits for the holder and then runs', async () => {
  const holder = await startHolder(2);
  const second = startRemedy(pkg, apply('--wait', '10'));
  const [first, waited] = await Promise.all([holder.done, second.done]);
  expect(first.code).toBe(0);
  expect(waited.code).toBe(0);
  expect(waited.stdout).toContain('Apply complete');
  expect(waited.ms).toBeGreaterThan(1000);
}, 30_000);

test('--wait that runs out exits 75 and says how long it waited', async () => {
  const holder = await startHolder(3);
  const second = await runRemedy(pkg, apply('--wait', '1s'));
  expect(second.code).toBe(75);
  expect(second.stderr).toContain('after waiting 1s');
  expect(second.ms).toBeGreaterThanOrEqual(1000);
  await holder.done;
}, 30_000);

test('a lock left by a SIGKILLed holder does not block the next run', async () => {
  const holder = await startHolder(30);
  holder.child.kill('SIGKILL');
  await holder.done;
  expect(fs.existsSync(path.join(stateDir, 'run.lock'))).toBe(true);
  fs.writeFileSync(path.join(dir, 'seconds'), '0');
  const next = await runRemedy(pkg, apply());
  expect(next.stderr).toBe('');
  expect(next.code).toBe(0);
  expect(fs.existsSync(path.join(stateDir, 'run.lock'))).toBe(false);
}, 30_000);

/** A lock directory left as a holder would, `ageSeconds` old, named by `holder` or by nobody. */
function leftLock(ageSeconds: number, holder?: { pid: number; host: string; startedAt: string }): void {
  const lock = path.join(stateDir, 'run.lock');
  fs.mkdirSync(lock, { recursive: true });
  if (holder) fs.writeFileSync(holderFile(), JSON.stringify({ ...holder, lockInode: fs.statSync(lock).ino }));
  age(lock, ageSeconds);
}

/** The claim a run makes while it takes or releases the lock. */
function leftClaim(pid: number, host: string, ageSeconds = 0): void {
  const claim = path.join(stateDir, `run.lock.${pid}@${host}.claim`);
  fs.writeFileSync(claim, '');
  age(claim, ageSeconds);
}

function age(file: string, seconds: number): void {
  const when = new Date(Date.now() - seconds * 1000);
  fs.utimesSync(file, when, when);
}

/** The pid of a process that has ended. */
function goneProcess(): number {
  const pid = spawnSync('true').pid;
  if (!pid) throw new Error('could not start true');
  return pid;
}

const elsewhere = { pid: 4242, host: 'elsewhere', startedAt: '2030-01-01T00:00:00.000Z' };

describe('a lock nobody named (its holder was killed while taking or releasing it)', () => {
  beforeEach(() => {
    fs.writeFileSync(path.join(dir, 'seconds'), '0');
    leftLock(0);
  });

  test.each([
    ['no claim', () => undefined],
    ['only the claim of a run that has ended', () => leftClaim(goneProcess(), os.hostname())],
    ['only a claim from another host older than 10 s', () => leftClaim(4242, 'elsewhere', 11)],
  ])('with %s is taken over at once', async (_what, claim) => {
    claim();
    const run = await runCli(apply());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(fs.readdirSync(stateDir).filter((n) => n.endsWith('.claim'))).toEqual([]);
  });

  test.each([
    ['a run on this host that is alive', () => leftClaim(process.ppid, os.hostname())],
    ['a fresh claim from another host', () => leftClaim(4242, 'elsewhere')],
  ])('with %s is respected', async (_what, claim) => {
    claim();
    const run = await runCli(apply());
    expect(run.code).toBe(75);
    expect(run.stderr).toContain('holder unknown');
  });
});

describe('a lock held from another host (only its mtime tells whether it is alive)', () => {
  beforeEach(() => fs.writeFileSync(path.join(dir, 'seconds'), '0'));

  test('is respected while it is fresh', async () => {
    leftLock(0, elsewhere);
    const run = await runCli(apply());
    expect(run.code).toBe(75);
    expect(run.stderr).toContain('pid 4242 on elsewhere, started 2030-01-01T00:00:00.000Z');
  });

  test('is taken over once it has not been refreshed for 150 s', async () => {
    leftLock(600, elsewhere);
    const run = await runCli(apply());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

test('a state dir that cannot be made is a usage error, not a crash', async () => {
  fs.writeFileSync(path.join(dir, 'file'), '');
  const run = await runCli(apply('--state-dir', path.join(dir, 'file', 'state')));
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('the run lock in');
  expect(run.stderr).not.toContain('internal error');
});
