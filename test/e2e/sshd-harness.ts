import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Real sshd processes (Debian's openssh-server) on 127.0.0.1 ports for the fleet tests:
 * one host key and one client key per test folder, one sshd per simulated host, each
 * host with its own `root` tree.
 */

export const SSHD = '/usr/sbin/sshd';

export function sshdMissing(): string | undefined {
  if (!fs.existsSync(SSHD)) return `${SSHD} is not installed`;
  if (process.getuid?.() !== 0) return 'not root (the test sshd runs as root)';
  return undefined;
}

export interface TestHost {
  name: string;
  port: number;
  root: string;
  sshd?: ChildProcess;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('data', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd never listened on ${port}`);
}

/** Host and client keys in `dir`, the client's key authorized. */
export function makeKeys(dir: string): void {
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  for (const key of ['host_key', 'client_key']) spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, key)]);
  fs.copyFileSync(path.join(dir, 'client_key.pub'), path.join(dir, 'authorized_keys'));
}

export async function newHost(dir: string, name: string): Promise<TestHost> {
  const h: TestHost = { name, port: await freePort(), root: path.join(dir, 'hosts', name) };
  fs.mkdirSync(path.join(h.root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(h.root, 'etc/motd'), 'Welcome\n');
  return h;
}

/**
 * `hideNode`: `node` there is a program that cannot run node, as on a server without
 * Node.js. `plainShell`: the login shell reads an empty ~/.bashrc; a developer machine's
 * may start pyenv and the like (~120 ms a command here), a server's does not (the bench).
 * `noexecPrograms`: the host's var/lib/remedy/bin is mounted noexec.
 */
export async function startSshd(dir: string, h: TestHost, opts: { hideNode?: boolean; plainShell?: boolean; noexecPrograms?: boolean } = {}): Promise<void> {
  const config = path.join(dir, `sshd-${h.name}.conf`);
  fs.writeFileSync(
    config,
    [`Port ${h.port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host_key`, `PidFile ${dir}/sshd-${h.name}.pid`, `AuthorizedKeysFile ${dir}/authorized_keys`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', ''].join('\n'),
  );
  const sshd = [SSHD, '-D', '-e', '-f', config];
  const binds: string[] = [];
  if (opts.hideNode) {
    const fake = path.join(dir, 'no-node');
    fs.writeFileSync(fake, '#!/bin/sh\necho "node: not installed" >&2\nexit 127\n', { mode: 0o755 });
    binds.push(`mount --bind ${fake} ${fs.realpathSync(process.execPath)}`);
  }
  if (opts.noexecPrograms) {
    const programs = path.join(h.root, 'var/lib/remedy/bin');
    fs.mkdirSync(programs, { recursive: true, mode: 0o700 });
    binds.push(`mount --bind ${programs} ${programs} && mount -o remount,bind,noexec ${programs}`);
  }
  const bashrc = path.join(os.homedir(), '.bashrc');
  if (opts.plainShell && fs.existsSync(bashrc)) binds.push(`mount --bind /dev/null ${bashrc}`);
  // The binds hold in a mount namespace of this sshd's own; the rest of the machine sees no change.
  if (binds.length > 0) h.sshd = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${binds.join(' && ')} && exec "$@"`, 'sh', ...sshd], { stdio: 'ignore' });
  else h.sshd = spawn(sshd[0], sshd.slice(1), { stdio: 'ignore' });
  await listening(h.port);
}

export async function stopSshd(h: TestHost): Promise<void> {
  if (!h.sshd || h.sshd.exitCode !== null) return;
  const exited = new Promise((r) => h.sshd!.once('exit', r));
  h.sshd.kill('SIGTERM');
  await exited;
}

/** A YAML inventory of the hosts in group `web`, connecting as root with the test keys; known_hosts pinned. */
export function writeInventory(dir: string, hosts: TestHost[], groupVars = '{ banner: Managed }'): string {
  const hostKey = fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(path.join(dir, 'known_hosts'), hosts.map((h) => `[127.0.0.1]:${h.port} ${hostKey}`).join('\n') + '\n');
  const lines = hosts.map((h) => `        ${h.name}: { ansible_port: ${h.port}, root: ${h.root} }`).join('\n');
  const file = path.join(dir, 'inventory.yml');
  fs.writeFileSync(
    file,
    `all:\n  vars:\n    ansible_host: 127.0.0.1\n    ansible_user: root\n    ansible_ssh_private_key_file: ${dir}/client_key\n    ansible_ssh_common_args: "-o UserKnownHostsFile=${dir}/known_hosts -o StrictHostKeyChecking=yes"\n  children:\n    web:\n      vars: ${groupVars}\n      hosts:\n${lines}\n`,
  );
  return file;
}
