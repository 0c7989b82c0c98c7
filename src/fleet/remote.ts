import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticsError, type Diagnostic } from '../engine/diagnostics';
import { limitHosts, loadInventory } from './inventory';
import { bundle, onHost, pool, programsFor } from './push';
import type { HostResult } from './report';

/**
 * `remedy history -i INV` and `remedy rollback RUN -i INV --limit HOST`: the host's own
 * command, run there by the agent against its state dir; each host's answer printed
 * under its name (JSON: one object per host with the command's own JSON inside).
 */

export interface RemoteFlags {
  inventory: string;
  limit?: string;
  forks?: string;
  root?: string;
  format: string;
  force?: boolean;
}

export async function runRemote(command: 'history' | 'rollback', extra: string[], flags: RemoteFlags): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const inventory = loadInventory(path.resolve(flags.inventory), diagnostics);
  const hosts = inventory ? limitHosts(inventory, flags.limit, diagnostics) : [];
  if (diagnostics.length > 0) throw new DiagnosticsError(diagnostics);
  const programs = programsFor(bundle());
  const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-ssh-'));
  fs.chmodSync(controlDir, 0o700);
  try {
    const args = (root: string) => [...extra, '--root', root, '--format', flags.format === 'json' ? 'json' : 'human', '--no-color', ...(flags.force ? ['--force'] : [])];
    const results = await pool(hosts, Number(flags.forks ?? 20), (h) =>
      onHost(h, programs, path.join(controlDir, String(hosts.indexOf(h))), flags.root, (root) => ({ command, files: [], args: args(root) }), (code, stdout, stderr) => ({
        status: code === 0 ? 'in-sync' : 'failed',
        exitCode: code,
        report: { output: stdout },
        message: code === 0 ? undefined : firstLine(stderr) || firstLine(stdout),
      })),
    );
    process.stdout.write(flags.format === 'json' ? json(command, results) : human(results));
    return results.every((r) => r.status === 'in-sync') ? 0 : 1;
  } finally {
    fs.rmSync(controlDir, { recursive: true, force: true });
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

function human(results: HostResult[]): string {
  return results.map((r) => `== ${r.name}${r.status === 'in-sync' ? '' : ` (${r.status}: ${r.message ?? ''})`}\n${r.report?.output ?? ''}`).join('\n');
}

function json(command: string, results: HostResult[]): string {
  const hosts = results.map((r) => {
    let output: unknown = r.report?.output;
    try {
      output = JSON.parse(String(output));
    } catch {
      // a host that failed answered with text (or nothing): kept as it came
    }
    return { name: r.name, ok: r.status === 'in-sync', exitCode: r.exitCode, message: r.message, output };
  });
  return JSON.stringify({ formatVersion: 1, command, hosts }, null, 2) + '\n';
}
