import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { snapshot, tempRoot } from '../helpers/tree';

let dir: string;
let root: string;
let manifest: string;

beforeEach(() => {
  dir = tempRoot('remedy-schedule-');
  root = path.join(dir, 'root');
  fs.mkdirSync(root);
  manifest = path.join(dir, 'php.prod.yml');
  fs.writeFileSync(manifest, 'resources: []\n');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const BIN = '/usr/local/bin/remedy';
const schedule = (...args: string[]) => runCli(['schedule', ...args, '--root', root, '--no-color']);
const install = (...extra: string[]) => schedule('install', manifest, '--every', '30m', '--bin', BIN, ...extra);
const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');

const header = (flavour: string) => `# Managed by remedy (remedy schedule install${flavour}); remove with: remedy schedule remove --name php-prod
# Applies ${manifest} every 30m, after a random delay below 15m;
# waits up to 5m for a running apply (exit 75 if it is still running).
`;

test('cron: the exact /etc/cron.d file, then a second install changes nothing', async () => {
  const first = await install();
  expect(first.code).toBe(0);
  expect(first.stdout).toContain('+ create  file.cron[/etc/cron.d/remedy-php-prod]');
  expect(read('etc/cron.d/remedy-php-prod')).toBe(
    header('') +
      `SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
*/30 * * * * root ${BIN} apply ${manifest} --splay 15m --wait 5m --metrics-file /var/lib/node_exporter/textfile_collector/remedy-php-prod.prom 2>&1 | logger -t remedy-php-prod
`,
  );
  expect(fs.statSync(path.join(root, 'etc/cron.d/remedy-php-prod')).mode & 0o777).toBe(0o644);
  const installed = snapshot(root);
  const again = await install();
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('No changes');
  expect(snapshot(root)).toEqual(installed);
});

test('systemd: the exact service and timer, enabled by the timers.target.wants link', async () => {
  expect((await install('--systemd', '--name', 'php', '--splay', '10m', '--wait', '90s', '--log-file', '/var/log/remedy/php.log', '--no-metrics')).code).toBe(0);
  const head = header(' --systemd').replace(/php-prod/g, 'php').replace('below 15m', 'below 10m').replace('up to 5m', 'up to 90s');
  expect(read('etc/systemd/system/remedy-php.service')).toBe(
    head +
      `[Unit]
Description=remedy apply ${manifest}

[Service]
Type=oneshot
ExecStart=${BIN} apply ${manifest} --wait 90s --log-file /var/log/remedy/php.log --log-level info
# 75: another apply held the run lock; the next run will try again.
SuccessExitStatus=75
SyslogIdentifier=remedy-php
`,
  );
  expect(read('etc/systemd/system/remedy-php.timer')).toBe(
    head +
      `[Unit]
Description=Run remedy-php.service every 30m

[Timer]
OnCalendar=*-*-* *:00/30:00
RandomizedDelaySec=10m
Persistent=true

[Install]
WantedBy=timers.target
`,
  );
  expect(fs.readlinkSync(path.join(root, 'etc/systemd/system/timers.target.wants/remedy-php.timer'))).toBe('/etc/systemd/system/remedy-php.timer');
  expect(fs.existsSync(path.join(root, 'etc/cron.d/remedy-php'))).toBe(false);
});

test('switching cron -> systemd removes the cron file; remove deletes everything and is idempotent', async () => {
  await install();
  const switched = await install('--systemd');
  expect(switched.stdout).toContain('- delete  file.cron[/etc/cron.d/remedy-php-prod]');
  expect(switched.stdout).toContain('systemctl daemon-reload');
  expect(fs.existsSync(path.join(root, 'etc/cron.d/remedy-php-prod'))).toBe(false);
  const removed = await schedule('remove', manifest);
  expect(removed.code).toBe(0);
  for (const f of ['remedy-php-prod.service', 'remedy-php-prod.timer', 'timers.target.wants/remedy-php-prod.timer']) {
    expect(fs.existsSync(path.join(root, 'etc/systemd/system', f))).toBe(false);
  }
  const again = await schedule('remove', '--name', 'php-prod');
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('No changes');
});

test('--dry-run shows the plan and writes nothing', async () => {
  const res = await install('--dry-run');
  expect(res.code).toBe(0);
  expect(res.stdout).toContain('+++ b/etc/cron.d/remedy-php-prod');
  expect(fs.readdirSync(root)).toEqual([]);
});

test('usage errors: exit 1, nothing written', async () => {
  const cases: [string[], string][] = [
    [['install', manifest, '--every', '45m'], 'does not divide an hour or a day evenly'],
    [['install', manifest, '--every', 'often'], '--every often is not a duration'],
    [['install', manifest, '--every', '1h', '--bin', 'remedy'], '--bin remedy is not an absolute path'],
    [['install', manifest, '--every', '1h', '--name', 'php.prod'], 'is not a valid schedule name'],
    [['install', path.join(dir, 'missing.yml'), '--every', '1h'], 'does not exist'],
    [['remove'], 'needs the schedule name'],
  ];
  for (const [args, message] of cases) {
    const res = await schedule(...args);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(message);
  }
  expect(fs.readdirSync(root)).toEqual([]);
});

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const verifyTest = analyze.status === 0 ? test : test.skip;
if (analyze.status !== 0) console.log('skipped systemd-analyze verify: systemd-analyze is not installed (Debian package systemd)');

verifyTest('systemd-analyze verify accepts the units (default bin: this node and script)', async () => {
  for (const every of ['15m', '2h', '1d']) {
    expect((await schedule('install', manifest, '--every', every, '--systemd')).code).toBe(0);
    const units = ['service', 'timer'].map((ext) => path.join(root, `etc/systemd/system/remedy-php-prod.${ext}`));
    const res = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
    expect({ code: res.status, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
  }
});

test('--pull schedules `remedy pull URL` with its options, and the scheduled command line is one pull accepts', async () => {
  const url = 'https://git.example.org/ops/site.git';
  const res = await schedule('install', url, '--pull', '--branch', 'prod', '--manifest', 'web.yml', '-i', 'inventory.yml', '--only-if-changed', '--every', '30m', '--bin', BIN);
  expect(res.code).toBe(0);
  const cron = read('etc/cron.d/remedy-site');
  expect(cron).toContain('# Pulls and applies https://git.example.org/ops/site.git every 30m');
  const line = cron.split('\n').find((l) => l.startsWith('*/30'))!;
  expect(line).toBe(`*/30 * * * * root ${BIN} pull ${url} --branch prod --manifest web.yml -i inventory.yml --only-if-changed --splay 15m --wait 5m --metrics-file /var/lib/node_exporter/textfile_collector/remedy-site.prom 2>&1 | logger -t remedy-site`);
  // Every option of that line is one pull parses (it fails only at the fetch: there is no such server).
  const argv = line.replace(/^.* root \S+ pull /, '').replace(/ 2>&1.*$/, '').split(' ');
  const run = await runCli(['pull', ...argv.map((a) => (a === url ? 'file:///nonexistent/repo.git' : a)).map((a) => (a === '15m' ? '0' : a)), '--root', root, '--state-dir', path.join(dir, 'state')]);
  expect(run.stderr).toContain('git clone file:///nonexistent/repo.git failed');
});
