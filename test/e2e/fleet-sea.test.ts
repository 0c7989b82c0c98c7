import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtRemedy } from '../reliability/built-cli';
import { makeKeys, newHost, sshdMissing, startSshd, stopSshd, writeInventory, type TestHost } from './sshd-harness';

/*
 * A host without Node.js: its sshd runs in a mount namespace where `node` cannot run, so
 * the controller builds the self-contained executable (this node binary with the bundle
 * injected, Node's single executable application), uploads it once content-addressed,
 * and runs it there. A host with node in the same run still gets the plain bundle.
 */

const missing = sshdMissing() ?? (spawnSync('unshare', ['--mount', 'true']).status !== 0 ? 'unshare --mount does not work here' : undefined);
if (missing && process.env.CI === 'true') throw new Error(`CI=true, so the self-contained executable test must run, but ${missing}`);
const describeWithSshd = missing ? describe.skip : describe;

describeWithSshd('a host whose node is hidden gets the self-contained executable', () => {
  let dir: string;
  let bin: string;
  const hosts: TestHost[] = [];

  beforeAll(async () => {
    bin = builtRemedy();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-sea-fleet-'));
    makeKeys(dir);
    hosts.push(await newHost(dir, 'bare1'), await newHost(dir, 'node1'));
    await startSshd(dir, hosts[0], { hideNode: true });
    await startSshd(dir, hosts[1]);
    writeInventory(dir, hosts);
    fs.mkdirSync(path.join(dir, 'site'));
    fs.writeFileSync(path.join(dir, 'site/site.yml'), 'resources:\n  - id: motd\n    type: line\n    path: /etc/motd\n    line: "${banner} on ${host.name}"\n');
  }, 120_000);

  afterAll(async () => {
    for (const h of hosts) await stopSshd(h);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const remedy = (command: string) =>
    spawnSync(process.execPath, [bin, command, path.join(dir, 'site/site.yml'), '-i', path.join(dir, 'inventory.yml'), '--no-color', '--detailed-exitcodes'], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') },
    });

  test('the hidden node really is hidden on that host', () => {
    const ssh = spawnSync('ssh', ['-o', 'BatchMode=yes', '-i', path.join(dir, 'client_key'), '-o', `UserKnownHostsFile=${dir}/known_hosts`, '-p', String(hosts[0].port), 'root@127.0.0.1', 'node -e 1'], { encoding: 'utf8' });
    expect(ssh.status).toBe(127);
  });

  test('apply converges both hosts: the executable on the bare one, the bundle on the other; again: in sync, nothing uploaded, the code cache kept', () => {
    const run = remedy('apply');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(2);
    expect(fs.readFileSync(path.join(hosts[0].root, 'etc/motd'), 'utf8')).toBe('Welcome\nManaged on bare1\n');
    expect(fs.readFileSync(path.join(hosts[1].root, 'etc/motd'), 'utf8')).toBe('Welcome\nManaged on node1\n');
    const bare = fs.readdirSync(path.join(hosts[0].root, 'var/lib/remedy/bin'));
    const withNode = fs.readdirSync(path.join(hosts[1].root, 'var/lib/remedy/bin'));
    expect(bare).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    // The host's node made its own code cache after the first run, named by its version.
    expect(withNode.sort()).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.js$/), expect.stringMatching(/^[0-9a-f]{64}\.js\.v\d+\.\d+\.\d+\.cache$/)]);
    const codeCache = path.join(hosts[1].root, 'var/lib/remedy/bin', withNode.find((f) => f.endsWith('.cache'))!);
    const codeCacheMtime = fs.statSync(codeCache).mtimeMs;
    const exe = path.join(hosts[0].root, 'var/lib/remedy/bin', bare[0]);
    expect(fs.statSync(exe).mode & 0o111).not.toBe(0);
    const mtime = fs.statSync(exe).mtimeMs;
    const cached = fs.readdirSync(path.join(dir, 'cache/remedy/sea')).filter((f) => !f.startsWith('.'));
    expect(cached).toHaveLength(1);
    const again = remedy('plan');
    expect(again.status).toBe(0);
    expect(fs.statSync(exe).mtimeMs).toBe(mtime);
    // V8 took the cache: it was not written again.
    expect(fs.statSync(codeCache).mtimeMs).toBe(codeCacheMtime);
  }, 300_000);

  test('a bare host whose state dir is mounted noexec fails with the reason; nothing is written there', async () => {
    const h = await newHost(dir, 'noexec1');
    hosts.push(h);
    await startSshd(dir, h, { hideNode: true, noexecPrograms: true });
    fs.renameSync(writeInventory(dir, [h]), path.join(dir, 'inventory-noexec.yml'));
    // known_hosts then names all three hosts.
    writeInventory(dir, hosts);
    const run = spawnSync(process.execPath, [bin, 'apply', path.join(dir, 'site/site.yml'), '-i', path.join(dir, 'inventory-noexec.yml'), '--no-color', '--detailed-exitcodes'], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(4);
    expect(run.stdout).toMatch(/noexec1\s+FAILED\s.*could not start on the host \(exit 126.*noexec/);
    expect(fs.readFileSync(path.join(h.root, 'etc/motd'), 'utf8')).toBe('Welcome\n');
  }, 300_000);
});
