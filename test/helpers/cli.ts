import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI code path in this process, capturing what it prints and its exit code. */
export async function runCli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  const previous = process.exitCode;
  try {
    await main(['node', 'remedy', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    process.exitCode = previous;
  }
}

/** Writes `resources:` + the given YAML into ROOT/manifest.yml and runs a command on ROOT with detailed exit codes. */
export async function runInRoot(root: string, command: string, resources: string, extra: string[] = []): Promise<CliRun> {
  const manifest = path.join(root, 'manifest.yml');
  fs.writeFileSync(manifest, `resources:${resources}\n`);
  return runCli([command, manifest, '--root', root, '--detailed-exitcodes', '--no-color', ...extra]);
}
