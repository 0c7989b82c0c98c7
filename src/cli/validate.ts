import type { Command } from 'commander';
import type { Diagnostic } from '../engine/diagnostics';
import { resolveManifest } from '../run/run';
import { reportDiagnostics, runOptions, VERSION, checkFormat, type CommonFlags } from './common';
import { EXIT } from './exit-codes';

export function registerValidate(program: Command, setExit: (code: number) => void): void {
  program
    .command('validate <manifest>')
    .description('check a manifest (syntax, schema, references, regexes) without reading the machine')
    .option('--root <dir>', 'root used to expand path globs', '/')
    .option('--var <name=value>', 'set a variable (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--format <format>', 'human or json', 'human')
    .option('--no-color', 'no colour')
    .action((manifest: string, flags: CommonFlags) => {
      checkFormat(flags);
      const diagnostics: Diagnostic[] = [];
      const resolved = resolveManifest(runOptions(manifest, flags), diagnostics);
      if (!resolved) {
        reportDiagnostics('validate', diagnostics, flags);
        return setExit(EXIT.error);
      }
      const count = new Set(resolved.resources.map((r) => r.id)).size;
      if (flags.format === 'json') process.stdout.write(JSON.stringify({ formatVersion: 1, remedy: VERSION, command: 'validate', valid: true, resources: count }) + '\n');
      else process.stdout.write(`${manifest}: valid, ${count} resource(s).\n`);
      setExit(EXIT.ok);
    });
}
