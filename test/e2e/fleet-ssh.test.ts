import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtRemedy } from '../reliability/built-cli';
import { makeKeys, newHost, sshdMissing, startSshd, stopSshd, writeInventory, type TestHost } from './sshd-harness';

/*
 * A fleet over real OpenSSH: the test starts one sshd (Debian's openssh-server) per
 * simulated host on a 127.0.0.1 port, with generated host and client keys and its own
 * `root` tree, and runs the built remedy with -i against an Ansible inventory. It checks
 * the per-host report, the grouping of identical diffs, host vars, that the bundle is
 * uploaded once, and that a host whose sshd stops during the run is unreachable while
 * the others converge.
 */

const missing = sshdMissing();
if (missing && process.env.CI === 'true') throw new Error(`CI=true, so the fleet test must run, but ${missing}`);
const describeWithSshd = missing ? describe.skip : describe;

describeWithSshd('remedy -i over real sshd processes', () => {
  let dir: string;
  const hosts: TestHost[] = [];
  let bin: string;

  beforeAll(async () => {
    bin = builtRemedy();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-fleet-'));
    makeKeys(dir);
    for (const name of ['web1', 'web2', 'web3']) {
      const h = await newHost(dir, name);
      hosts.push(h);
      await startSshd(dir, h);
    }
    writeInventory(dir, hosts);
    fs.mkdirSync(path.join(dir, 'host_vars'));
    fs.writeFileSync(path.join(dir, 'host_vars/web3.yml'), 'banner: Special\n');
    fs.mkdirSync(path.join(dir, 'site'));
    fs.writeFileSync(path.join(dir, 'site/site.yml'), 'vars:\n  banner: Default\nresources:\n  - id: motd\n    type: line\n    path: /etc/motd\n    line: "${banner} by remedy"\n');
  }, 120_000);

  afterAll(async () => {
    for (const h of hosts) await stopSshd(h);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const remedy = (args: string[]) => spawnSync(process.execPath, [bin, ...args, path.join(dir, 'site/site.yml'), '-i', path.join(dir, 'inventory.yml'), '--no-color', '--detailed-exitcodes'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });

  test('plan: one line per host, the same diff once with the hosts that share it, host vars applied', () => {
    const run = remedy(['plan']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/web1\s+changed\s/);
    expect(run.stdout).toContain('== web1, web2 (the same change on 2 hosts)');
    expect(run.stdout).toContain('+Managed by remedy');
    expect(run.stdout).toContain('== web3\n');
    expect(run.stdout).toContain('+Special by remedy');
    for (const h of hosts) expect(fs.readFileSync(path.join(h.root, 'etc/motd'), 'utf8')).toBe('Welcome\n');
  }, 120_000);

  test('apply writes each host, the bundle is uploaded once, and a second plan is in sync (JSON: one object per host)', () => {
    const binDir = path.join(hosts[0].root, 'var/lib/remedy/bin');
    const uploaded = fs.readdirSync(binDir);
    const mtime = fs.statSync(path.join(binDir, uploaded[0])).mtimeMs;
    const run = remedy(['apply']);
    expect(run.status).toBe(2);
    expect(fs.readFileSync(path.join(hosts[0].root, 'etc/motd'), 'utf8')).toBe('Welcome\nManaged by remedy\n');
    expect(fs.readFileSync(path.join(hosts[2].root, 'etc/motd'), 'utf8')).toBe('Welcome\nSpecial by remedy\n');
    expect(fs.readdirSync(binDir)).toEqual(uploaded);
    expect(fs.statSync(path.join(binDir, uploaded[0])).mtimeMs).toBe(mtime);
    const again = remedy(['plan', '--format', 'json']);
    expect(again.status).toBe(0);
    const doc = JSON.parse(again.stdout);
    expect(doc.hosts.map((h: { name: string; status: string }) => `${h.name} ${h.status}`)).toEqual(['web1 in-sync', 'web2 in-sync', 'web3 in-sync']);
    expect(doc.hosts[0].report.summary.resources).toBe(1);
  }, 120_000);

  test("in-sync runs share one record on each host, under the controller's name for the manifest, not the agent's temp copy", () => {
    for (let i = 0; i < 2; i++) expect(remedy(['apply']).status).toBe(0);
    const history = spawnSync(process.execPath, [bin, 'history', '-i', path.join(dir, 'inventory.yml'), '--limit', 'web1', '--format', 'json'], { encoding: 'utf8', timeout: 120_000 });
    const runs = JSON.parse(history.stdout).hosts[0].output.runs as { manifest: string; result: string; inSync?: { runs: number } }[];
    const newest = runs[runs.length - 1];
    expect(newest).toMatchObject({ manifest: `${os.hostname()}:${path.join(dir, 'site/site.yml')}`, result: 'unchanged', inSync: { runs: 2 } });
    expect(runs.filter((r) => r.result === 'unchanged')).toHaveLength(1);
  }, 120_000);

  test('a push killed on a host between its write and its refresh leaves the refresh pending there; the next push runs it', async () => {
    const h = hosts[1];
    const ran = path.join(h.root, 'refreshed');
    const release = path.join(h.root, 'release');
    // The refresh runs, then waits until released: the host's remedy is killed while it waits.
    fs.writeFileSync(path.join(dir, 'site/refresh.yml'), `resources:\n  - id: conf\n    type: line\n    path: /etc/app.conf\n    line: "mode = new"\n    create: true\n    notify: [reload]\n  - id: reload\n    type: exec\n    refresh_only: true\n    command: [sh, -c, "echo ran >> ${ran}; while [ ! -f ${release} ]; do sleep 0.1; done"]\n`);
    const push = () => spawn(process.execPath, [bin, 'apply', path.join(dir, 'site/refresh.yml'), '-i', path.join(dir, 'inventory.yml'), '--limit', h.name, '--no-color'], { stdio: 'ignore' });
    const first = push();
    const firstExit = new Promise((resolve) => first.on('close', resolve));
    for (const deadline = Date.now() + 60_000; !fs.existsSync(ran); await new Promise((r) => setTimeout(r, 50))) if (Date.now() > deadline) throw new Error('the refresh never ran');
    // The host's agent (its command line names the bundle under that host's root), then the refresh it started.
    spawnSync('pkill', ['-KILL', '-f', `${h.root}/var/lib/remedy/bin/`]);
    fs.writeFileSync(release, '');
    await firstExit;
    expect(fs.readFileSync(path.join(h.root, 'etc/app.conf'), 'utf8')).toContain('mode = new');
    expect(fs.readdirSync(path.join(h.root, 'var/lib/remedy/pending'))).toHaveLength(1);
    const second = await new Promise<number | null>((resolve) => push().on('close', resolve));
    expect(second).toBe(0);
    expect(fs.readFileSync(ran, 'utf8')).toBe('ran\nran\n');
    expect(fs.readdirSync(path.join(h.root, 'var/lib/remedy/pending'))).toEqual([]);
  }, 120_000);

  test('a damaged code cache on a host is refused by V8 and made again; a damaged bundle is sent again; a host whose remedy was deleted gets it again, and older programs beyond two are pruned', () => {
    const binDir = (h: number) => path.join(hosts[h].root, 'var/lib/remedy/bin');
    const cache = fs.readdirSync(binDir(1)).find((f) => f.endsWith('.cache'))!;
    fs.writeFileSync(path.join(binDir(1), cache), 'not a code cache');
    // web1's bundle was damaged (it cannot even be parsed): it is sent again.
    const bundle = fs.readdirSync(binDir(0)).find((f) => f.endsWith('.js'))!;
    const good = fs.readFileSync(path.join(binDir(0), bundle));
    fs.writeFileSync(path.join(binDir(0), bundle), good.subarray(0, good.length / 2));
    fs.rmSync(binDir(2), { recursive: true });
    // Three older programs (and a cache of one) were left there by earlier versions: the two newest stay.
    fs.mkdirSync(binDir(2));
    const older = ['a', 'b', 'c'].map((c, i) => {
      const file = path.join(binDir(2), `${c.repeat(64)}.js`);
      fs.writeFileSync(file, '// an older remedy\n');
      fs.utimesSync(file, 1_000_000 + i, 1_000_000 + i);
      return path.basename(file);
    });
    fs.writeFileSync(path.join(binDir(2), `${older[0]}.v20.0.0.cache`), '');
    const run = remedy(['plan']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(fs.statSync(path.join(binDir(1), cache)).size).toBeGreaterThan(100_000);
    expect(fs.readFileSync(path.join(binDir(0), bundle)).equals(good)).toBe(true);
    expect(fs.readdirSync(binDir(2)).sort()).toEqual([...fs.readdirSync(binDir(0)), older[1], older[2]].sort());
  }, 120_000);

  test('history -i lists each host\'s runs; rollback RUN -i --limit HOST undoes that host\'s run there', () => {
    const inv = ['-i', path.join(dir, 'inventory.yml')];
    const history = spawnSync(process.execPath, [bin, 'history', ...inv, '--format', 'json'], { encoding: 'utf8', timeout: 120_000 });
    expect(history.status).toBe(0);
    const doc = JSON.parse(history.stdout);
    expect(doc.hosts.map((h: { name: string; ok: boolean }) => `${h.name} ${h.ok}`)).toEqual(['web1 true', 'web2 true', 'web3 true']);
    const run = doc.hosts[0].output.runs.find((r: { result: string }) => r.result === 'changed');
    const rollback = spawnSync(process.execPath, [bin, 'rollback', run.id, ...inv, '--limit', 'web1'], { encoding: 'utf8', timeout: 120_000 });
    expect(rollback.status).toBe(0);
    expect(rollback.stdout).toContain('== web1');
    expect(fs.readFileSync(path.join(hosts[0].root, 'etc/motd'), 'utf8')).toBe('Welcome\n');
    expect(fs.readFileSync(path.join(hosts[1].root, 'etc/motd'), 'utf8')).toBe('Welcome\nManaged by remedy\n');
  }, 120_000);

  test('plan --out FILE -i saves each host\'s plan; apply FILE -i applies exactly those, and a host whose file changed since refuses', () => {
    const saved = path.join(dir, 'fleet-plan.json');
    const planned = remedy(['plan', '--out', saved]);
    expect(planned.status).toBe(2);
    expect(planned.stdout).toMatch(/web1\s+changed/);
    const doc = JSON.parse(fs.readFileSync(saved, 'utf8'));
    expect(doc.hosts.map((h: { name: string; status: string }) => `${h.name} ${h.status}`)).toEqual(['web1 changed', 'web2 in-sync', 'web3 in-sync']);
    expect(fs.statSync(saved).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(hosts[0].root, `var/lib/remedy/plans/${doc.planId}/plan.json`))).toBe(true);
    const applySaved = () => spawnSync(process.execPath, [bin, 'apply', saved, '-i', path.join(dir, 'inventory.yml'), '--no-color', '--detailed-exitcodes'], { encoding: 'utf8', timeout: 120_000 });
    fs.writeFileSync(path.join(hosts[0].root, 'etc/motd'), 'Welcome, edited by hand\n');
    const stale = applySaved();
    expect(stale.status).toBe(4);
    expect(stale.stdout).toMatch(/web1\s+FAILED\s.*stale/);
    expect(fs.readFileSync(path.join(hosts[0].root, 'etc/motd'), 'utf8')).toBe('Welcome, edited by hand\n');
    fs.writeFileSync(path.join(hosts[0].root, 'etc/motd'), 'Welcome\n');
    const applied = applySaved();
    expect(applied.status).toBe(2);
    expect(fs.readFileSync(path.join(hosts[0].root, 'etc/motd'), 'utf8')).toBe('Welcome\nManaged by remedy\n');
  }, 120_000);

  test('--serial 1 stops after the failing canary and names the hosts it did not touch', () => {
    const before = hosts.map((h) => fs.readFileSync(path.join(h.root, 'etc/motd'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'site/site.yml'), "resources:\n  - id: motd\n    type: line\n    path: /etc/motd\n    line: canary\n  - id: broken-on-web1\n    type: exec\n    command: ['false']\n    when: host.name == 'web1'\n");
    const run = remedy(['apply', '--serial', '1']);
    expect(run.status).toBe(4);
    expect(run.stdout).toMatch(/web1\s+FAILED/);
    expect(run.stdout).toMatch(/web2\s+not run\s.*not touched: batch 1 \(the canary\) had a failure/);
    expect(run.stdout).toMatch(/web3\s+not run/);
    expect(hosts.slice(1).map((h) => fs.readFileSync(path.join(h.root, 'etc/motd'), 'utf8'))).toEqual(before.slice(1));
  }, 120_000);

  test('a host that takes the connection and never answers is unreachable after the connect timeout; the others are done', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const mute: TestHost = { name: 'mute', port: (silent.address() as net.AddressInfo).port, root: path.join(dir, 'hosts', 'mute') };
    try {
      fs.renameSync(writeInventory(dir, [hosts[2], mute]), path.join(dir, 'inventory-mute.yml'));
      writeInventory(dir, hosts);
      const started = Date.now();
      const run = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, 'plan', path.join(dir, 'site/site.yml'), '-i', path.join(dir, 'inventory-mute.yml'), '--no-color', '--detailed-exitcodes'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('close', (status) => resolve({ status, stdout }));
      });
      expect(run.status! & 8).toBe(8);
      expect(run.stdout).toMatch(/mute\s+UNREACHABLE\s.*timed out/i);
      expect(run.stdout).toMatch(/web3\s+(in sync|changed)/);
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  }, 120_000);

  test('an sshd stopped mid-run makes its host unreachable; the others still converge; exit code has the unreachable bit', async () => {
    // web1 writes, then holds its turn for 3 s (one host at a time): the run is under way when web2's sshd stops.
    fs.writeFileSync(path.join(dir, 'site/site.yml'), 'resources:\n  - id: motd\n    type: line\n    path: /etc/motd\n    line: "second line"\n  - id: hold\n    type: exec\n    command: [sleep, "3"]\n    requires: [motd]\n    when: host.name == \'web1\'\n');
    const child = spawn(process.execPath, [bin, 'apply', path.join(dir, 'site/site.yml'), '-i', path.join(dir, 'inventory.yml'), '--no-color', '--detailed-exitcodes', '--forks', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const motd1 = path.join(hosts[0].root, 'etc/motd');
    for (const deadline = Date.now() + 60_000; !fs.readFileSync(motd1, 'utf8').includes('second line'); ) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`web1 was never written; remedy said: ${stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await stopSshd(hosts[1]);
    const status = await exited;
    const run = { status, stdout };
    expect(run.status).toBe(2 + 8);
    expect(run.stdout).toMatch(/web2\s+UNREACHABLE\s.*Connection refused/);
    expect(fs.readFileSync(path.join(hosts[0].root, 'etc/motd'), 'utf8')).toContain('second line');
    expect(fs.readFileSync(path.join(hosts[2].root, 'etc/motd'), 'utf8')).toContain('second line');
    expect(fs.readFileSync(path.join(hosts[1].root, 'etc/motd'), 'utf8')).not.toContain('second line');
    // web1's hold always runs (an exec without a guard): leave it out with web2.
    const limited = remedy(['plan', '--limit', 'web:!web2:!web1']);
    expect(limited.status).toBe(0);
    expect(limited.stdout).toMatch(/web3\s+in sync/);
    expect(limited.stdout).not.toMatch(/web[12]/);
  }, 120_000);
});
