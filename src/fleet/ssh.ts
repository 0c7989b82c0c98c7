import { spawn } from 'node:child_process';
import type { InventoryHost } from './inventory';

/**
 * The system OpenSSH client, so ~/.ssh/config, the agent, ProxyJump and hardware keys
 * work. One multiplexed connection per host (ControlMaster, its socket in a private
 * directory), reused for every step; BatchMode: never a prompt. Host keys are checked as
 * the user's ssh configuration says.
 */

export interface SshTarget {
  /** What ssh connects to: ansible_host, else the inventory name. */
  destination: string;
  options: string[];
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** ssh exits 255 when it could not connect (or the connection broke). */
export const SSH_FAILED = 255;
const CONNECT_TIMEOUT_S = 10;

/** `controlPath`: the master's socket, one per host (two hosts on one address and port must not share a master). */
export function sshTarget(host: InventoryHost, controlPath: string): SshTarget {
  const v = host.vars;
  const options = ['-o', 'BatchMode=yes', '-o', 'ControlMaster=auto', '-o', `ControlPath=${controlPath}`, '-o', 'ControlPersist=60', '-o', `ConnectTimeout=${CONNECT_TIMEOUT_S}`, '-o', 'ServerAliveInterval=15'];
  if (v.ansible_port !== undefined) options.push('-p', String(v.ansible_port));
  if (v.ansible_user !== undefined) options.push('-l', String(v.ansible_user));
  if (v.ansible_ssh_private_key_file !== undefined) options.push('-i', String(v.ansible_ssh_private_key_file));
  if (typeof v.ansible_ssh_common_args === 'string') {
    const { parse } = require('shell-quote') as typeof import('shell-quote');
    options.push(...parse(v.ansible_ssh_common_args).filter((x): x is string => typeof x === 'string'));
  }
  return { destination: String(v.ansible_host ?? host.name), options };
}

/** Runs `script` with the remote user's shell, `input` on its stdin. */
export function sshRun(target: SshTarget, script: string, input: Buffer | string | undefined, timeoutMs: number): Promise<SshResult> {
  return new Promise((resolve) => {
    const child = spawn('ssh', [...target.options, target.destination, '--', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined); // the remote side may close stdin early; its exit code says why
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: `cannot run ssh: ${e.message}`, timedOut: false });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    child.stdin.end(input);
  });
}

/** Closes the host's master connection (ssh -O exit), so no background ssh outlives the run. */
export function sshClose(target: SshTarget): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('ssh', [...target.options, '-O', 'exit', target.destination], { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
}
