import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { realFile } from '../setup/real-files';

/*
 * The directive kind on Debian's own sshd_config, proved by the real sshd
 * (openssh-server, installed by .ci/run): remedy sets the keywords, `sshd -t -f %s`
 * validates the candidate, `sshd -T` reports the effective settings (globally and for a
 * Match user), and an sshd started on a loopback port with the result answers with its
 * banner. A drop-in that sets a keyword first is refused at plan, and `sshd -T` agrees
 * that the drop-in's value is the effective one.
 */

const SSHD = '/usr/sbin/sshd';
const sshdConfig = realFile('sshd_config');
const missing = !fs.existsSync(SSHD) ? `${SSHD} is not installed (apt-get install openssh-server)` : !sshdConfig ? 'the real sshd_config is not fetched (scripts/fetch-real-files.sh)' : undefined;
if (missing && process.env.CI === 'true') throw new Error(`CI=true, so the sshd end-to-end test must run, but ${missing}`);
const describeWithSshd = missing ? describe.skip : describe;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `sshd -T` as a map of lowercased keyword -> value (the first line of each). */
function effective(config: string, match?: string): Map<string, string> {
  const run = spawnSync(SSHD, ['-T', '-f', config, ...(match ? ['-C', match] : [])], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`sshd -T failed: ${run.stderr}`);
  const settings = new Map<string, string>();
  for (const line of run.stdout.split('\n')) {
    const [key, ...rest] = line.split(' ');
    if (key && !settings.has(key)) settings.set(key, rest.join(' '));
  }
  return settings;
}

/** Connects until sshd listens and returns the first line it sends (its banner). */
async function banner(port: number): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const line = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setEncoding('utf8');
      socket.once('data', (data: string) => (socket.destroy(), resolve(data.split('\r\n')[0])));
      socket.once('error', () => resolve(undefined));
    });
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`sshd never listened on 127.0.0.1:${port}`);
}

describeWithSshd('a real sshd configured by the directive kind', () => {
  let dir: string;
  let config: string;
  let dropIns: string;
  let port: number;

  /** The manifest: hardening a stock sshd_config, and the test's own port, host key and pid file; sshd -t checks the folded result. */
  const manifest = () => `
resources:
  - { id: include, type: directive, path: ${config}, key: Include, value: "${dropIns}/*.conf", validate: "${SSHD} -t -f %s" }
  - { id: port, type: directive, path: ${config}, key: Port, value: "${port}" }
  - { id: listen, type: directive, path: ${config}, key: ListenAddress, value: 127.0.0.1 }
  - { id: host-key, type: directive, path: ${config}, key: HostKey, values: ["${dir}/host_ed25519"] }
  - { id: pid-file, type: directive, path: ${config}, key: PidFile, value: ${dir}/sshd.pid }
  - { id: no-root, type: directive, path: ${config}, key: PermitRootLogin, value: "no" }
  - { id: no-passwords, type: directive, path: ${config}, key: PasswordAuthentication, value: "no" }
  - { id: no-x11, type: directive, path: ${config}, key: X11Forwarding, value: "no" }
  - { id: tries, type: directive, path: ${config}, key: MaxAuthTries, value: "3" }
  - { id: backup-root, type: directive, path: ${config}, scope: Match User backup, key: PermitRootLogin, value: prohibit-password }
`;

  const remedy = (command: string, manifestPath: string) => runCli([command, manifestPath, '--root', '/', '--state-dir', path.join(dir, 'state'), '--detailed-exitcodes', '--no-color']);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-sshd-'));
    config = path.join(dir, 'sshd_config');
    dropIns = path.join(dir, 'sshd_config.d');
    fs.mkdirSync(dropIns);
    fs.copyFileSync(sshdConfig!, config);
    // sshd refuses to start without its privilege separation directory.
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_ed25519')], { encoding: 'utf8' });
    if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`);
    port = await freePort();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('apply sets what sshd -T reports, a Match block keeps its own value, and sshd serves with it', async () => {
    const file = path.join(dir, 'harden.yml');
    fs.writeFileSync(file, manifest());
    const applied = await remedy('apply', file);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(2);
    const global = effective(config);
    expect([global.get('port'), global.get('listenaddress'), global.get('permitrootlogin'), global.get('passwordauthentication'), global.get('x11forwarding'), global.get('maxauthtries')]).toEqual([
      String(port),
      `127.0.0.1:${port}`,
      'no',
      'no',
      'no',
      '3',
    ]);
    expect(effective(config, 'user=backup,host=localhost,addr=127.0.0.1').get('permitrootlogin')).toBe('without-password');
    expect((await remedy('plan', file)).code).toBe(0);

    const sshd = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      expect(await banner(port)).toMatch(/^SSH-2\.0-OpenSSH_/);
    } finally {
      sshd.kill('SIGTERM');
      await new Promise((resolve) => sshd.once('exit', resolve));
    }
  }, 60_000);

  test('a value sshd rejects is refused by sshd -t and nothing is written', async () => {
    const before = fs.readFileSync(config, 'utf8');
    const file = path.join(dir, 'bad.yml');
    fs.writeFileSync(file, `resources:\n  - { id: tries, type: directive, path: ${config}, key: MaxAuthTries, value: lots, validate: "${SSHD} -t -f %s" }\n`);
    const run = await remedy('apply', file);
    // 4: a resource failed (--detailed-exitcodes); the validator's own words are shown.
    expect(run.code).toBe(4);
    expect(run.stderr + run.stdout).toMatch(/Bad number 'lots'|MaxAuthTries/i);
    expect(fs.readFileSync(config, 'utf8')).toBe(before);
  });

  test('a drop-in read first is refused at plan; sshd -T agrees the drop-in wins', async () => {
    fs.writeFileSync(path.join(dropIns, '50-cloud-init.conf'), 'PasswordAuthentication yes\n');
    expect(effective(config).get('passwordauthentication')).toBe('yes');
    const file = path.join(dir, 'harden.yml');
    const before = fs.readFileSync(config, 'utf8');
    const run = await remedy('plan', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`PasswordAuthentication is set to 'yes' by ${dropIns}/50-cloud-init.conf:1`);
    expect(fs.readFileSync(config, 'utf8')).toBe(before);
    fs.rmSync(path.join(dropIns, '50-cloud-init.conf'));
    expect((await remedy('plan', file)).code).toBe(0);
  });
});
