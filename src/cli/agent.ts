import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { DiagnosticsError } from '../engine/diagnostics';
import type { AgentRequest } from '../fleet/push';

/**
 * `remedy agent` (hidden): what a fleet controller runs on each host over ssh. stdin is
 * one JSON request (the manifest's folder, the command and its arguments); the folder is
 * written to a private temp dir, the command runs there with the JSON report on stdout,
 * and the temp dir goes. The host's engine is this same bundle.
 */
export function registerAgent(program: Command, run: (argv: string[]) => Promise<void>, setExit: (code: number) => void): void {
  program
    .command('agent', { hidden: true })
    .description('run a fleet request from stdin (used over ssh by -i)')
    .action(async () => {
      const request = JSON.parse(fs.readFileSync(0, 'utf8')) as AgentRequest;
      if (!['plan', 'apply', 'check', 'history', 'rollback'].includes(request.command)) throw new DiagnosticsError([{ severity: 'error', summary: `agent: unknown command ${request.command}` }]);
      if (request.folder !== undefined && !path.isAbsolute(request.folder)) throw new DiagnosticsError([{ severity: 'error', summary: `agent: the folder ${request.folder} is not absolute` }]);
      // A saved fleet plan keeps its folder (its manifest digest is checked again at apply); anything else runs in a temp dir.
      const dir = request.folder ?? fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-agent-'));
      if (request.folder) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      try {
        for (const f of request.files) {
          const target = path.resolve(dir, f.path);
          if (!target.startsWith(dir + path.sep)) throw new DiagnosticsError([{ severity: 'error', summary: `agent: ${f.path} is outside the request's folder` }]);
          fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
          fs.writeFileSync(target, Buffer.from(f.b64, 'base64'), { mode: f.mode & 0o700 });
        }
        await run(['node', 'remedy', request.command, ...(request.manifest === undefined ? [] : [path.join(dir, request.manifest)]), ...request.args]);
        // The inner run set the exit code; this command's own would overwrite it.
        setExit(Number(process.exitCode ?? 0));
      } finally {
        if (!request.folder) fs.rmSync(dir, { recursive: true, force: true });
      }
    });
}
