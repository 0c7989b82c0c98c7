import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';
import { installRemedy, runRemedy, startRemedy, waitFor, type Started } from './installed-remedy';

// Two real processes race for the run lock of one state dir, as two cron jobs (or cron
// and a person) do. The holder runs an exec resource that sleeps, so it keeps the lock.
// The lock file is made whole and then linked into place; no timer keeps it alive, so
// only the holder's death (pid, start time, boot) frees it.

let pkg: string;
let dir: string;
let root: string;
let manifest: string;
let stateDir: string;

const lockFile = () => path.join(stateDir, 'run.lock');
const lockHeld = () => fs.existsSync(lockFile());
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

test.each(['SIGKILL', 'SIGTERM'] as const)('a lock left by a holder killed with %s does not block the next run', async (signal) => {
  const holder = await startHolder(30);
  holder.child.kill(signal);
  await holder.done;
  expect(fs.existsSync(lockFile())).toBe(true);
  fs.writeFileSync(path.join(dir, 'seconds'), '0');
  const next = await runRemedy(pkg, apply());
  expect(next.stderr).toBe('');
  expect(next.code).toBe(0);
  expect(fs.readdirSync(stateDir).filter((n) => n.startsWith('run.lock'))).toEqual([]);
}, 30_000);

/** A lock file as a holder writes it: its holder, with the liveness fields it gives. */
function leftLock(holder: Record<string, unknown>): void {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(lockFile(), JSON.stringify({ startedAt: '2030-01-01T00:00:00.000Z', ...holder }));
}

/** Field 22 of /proc/PID/stat: the start time a lock records for its holder. */
function processStart(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

const bootId = () => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** The pid of a process that has ended. */
function goneProcess(): number {
  const pid = spawnSync('true').pid;
  if (!pid) throw new Error('could not start true');
  return pid;
}

describe('a lock file left behind', () => {
  beforeEach(() => fs.writeFileSync(path.join(dir, 'seconds'), '0'));
  const here = () => ({ host: os.hostname(), bootId: bootId() });

  test.each([
    ['its holder has ended', () => ({ ...here(), pid: goneProcess() })],
    ['its pid is alive but is another process (the pid was reused)', () => ({ ...here(), pid: process.pid, processStart: '1' })],
    ['it was made before the last reboot', () => ({ ...here(), pid: process.pid, processStart: processStart(process.pid), bootId: 'another-boot' })],
  ])('is taken over when %s', async (_why, holder) => {
    leftLock(holder());
    const run = await runCli(apply());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(fs.readdirSync(stateDir).filter((n) => n.startsWith('run.lock'))).toEqual([]);
  });

  test('is respected while its holder runs, however old the file is', async () => {
    leftLock({ ...here(), pid: process.pid, processStart: processStart(process.pid) });
    const old = new Date(Date.now() - 86_400_000);
    fs.utimesSync(lockFile(), old, old);
    const run = await runCli(apply());
    expect(run.code).toBe(75);
    expect(run.stderr).toContain(`pid ${process.pid} on ${os.hostname()}`);
  });

  test('from another host is never taken over, and the message says how to free it', async () => {
    leftLock({ pid: 4242, host: 'elsewhere' });
    const old = new Date(Date.now() - 86_400_000);
    fs.utimesSync(lockFile(), old, old);
    const run = await runCli(apply());
    expect(run.code).toBe(75);
    expect(run.stderr).toContain('pid 4242 on elsewhere, started 2030-01-01T00:00:00.000Z');
    expect(run.stderr).toContain('remove the lock file by hand');
  });

  test('that remedy did not write is never removed', async () => {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(lockFile(), 'not json');
    const run = await runCli(apply());
    expect(run.code).toBe(75);
    expect(run.stderr).toContain('not one remedy wrote');
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe('not json');
  });

  test.each([
    ['names no holder', undefined, 0],
    ['names a holder that has ended', () => goneProcess(), 0],
    ['names a holder that runs', () => process.pid, 75],
  ])('of an earlier version (a directory) that %s', async (_what, pid, code) => {
    fs.mkdirSync(lockFile(), { recursive: true });
    if (pid) fs.writeFileSync(path.join(stateDir, 'run.lock.json'), JSON.stringify({ pid: pid(), host: os.hostname() }));
    expect((await runCli(apply())).code).toBe(code);
  });
});

test('a holder stopped (SIGSTOP) for longer than any refresh interval keeps the lock', async () => {
  const holder = await startHolder(1);
  holder.child.kill('SIGSTOP');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const second = await runRemedy(pkg, apply());
  expect(second.code).toBe(75);
  holder.child.kill('SIGCONT');
  expect((await holder.done).code).toBe(0);
  expect(fs.readFileSync(path.join(root, 'etc', 'motd'), 'utf8')).toBe('managed\n');
}, 30_000);

test.each([
  ['removed by hand', () => fs.rmSync(lockFile())],
  ['removed and taken by another run', () => (fs.rmSync(lockFile()), leftLock({ pid: process.pid, host: os.hostname(), processStart: processStart(process.pid) }))],
])('a holder whose lock was %s stops before its next write', async (_how, steal) => {
  const holder = await startHolder(2);
  await new Promise((resolve) => setTimeout(resolve, 500)); // the holder is in its sleep
  steal();
  const first = await holder.done;
  expect(first.code).not.toBe(0);
  expect(first.stdout).toContain('no longer this run');
  expect(fs.existsSync(path.join(root, 'etc', 'motd'))).toBe(false);
}, 30_000);

test('an apply of a manifest that does not load creates nothing: no state dir, no lock', async () => {
  fs.writeFileSync(manifest, 'resources:\n  - id: x\n    type: fiel\n');
  const run = await runCli(apply());
  expect(run.code).toBe(1);
  expect(fs.readdirSync(root)).toEqual(['etc']);
});

test('an apply whose plan fails creates nothing either', async () => {
  fs.writeFileSync(manifest, 'resources:\n  - id: x\n    type: file\n    path: /nope/motd\n    content: x\n');
  const run = await runCli(apply());
  expect(run.code).toBe(1);
  expect(fs.readdirSync(root)).toEqual(['etc']);
});

test('a state dir that cannot be made is a usage error, not a crash', async () => {
  fs.writeFileSync(path.join(dir, 'file'), '');
  const run = await runCli(apply('--state-dir', path.join(dir, 'file', 'state')));
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`cannot read ${path.join(dir, 'file', 'state')}`);
  expect(run.stderr).not.toContain('internal error');
});
