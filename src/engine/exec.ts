import { spawn } from 'node:child_process';
import type { CommandResult, CommandSpec } from './types';

const OUTPUT_LIMIT = 1 << 20;

/** Runs a command without a shell (unless it asks for one), capturing its output. */
export function runCommand(cmd: CommandSpec): Promise<CommandResult> {
  const [file, ...args] = cmd.shell ? ['/bin/sh', '-c', cmd.argv.join(' ')] : cmd.argv;
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: cmd.cwd,
      env: cmd.env ? { ...process.env, ...cmd.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer = cmd.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, cmd.timeoutMs);
    const out = capture(child.stdout);
    const err = capture(child.stderr);
    let spawnError: Error | undefined;
    child.on('error', (e) => (spawnError = e));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: spawnError ? 127 : code,
        signal,
        stdout: out(),
        stderr: spawnError ? `cannot run ${file}: ${spawnError.message}` : err(),
        timedOut,
      });
    });
  });
}

function capture(stream: NodeJS.ReadableStream | null): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on('data', (c: Buffer) => {
    if (size < OUTPUT_LIMIT) chunks.push(c);
    size += c.length;
  });
  return () => Buffer.concat(chunks).toString('utf8') + (size > OUTPUT_LIMIT ? `\n[output cut at ${OUTPUT_LIMIT} bytes]` : '');
}

/** A command line as a person reads it. */
export function showCommand(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** How a command that did not succeed ended, for messages: "timed out", "was killed by SIGTERM", "could not run (...)", "exited 2". */
export function describeExit(res: CommandResult): string {
  if (res.timedOut) return 'timed out';
  if (res.signal) return `was killed by ${res.signal}`;
  if (res.code === 127 && res.stdout === '') return `could not run (${res.stderr.trim()})`;
  return `exited ${res.code}`;
}
