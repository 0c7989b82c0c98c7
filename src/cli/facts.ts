import * as path from 'node:path';
import type { Command } from 'commander';
import { DiagnosticsError } from '../engine/diagnostics';
import { gatherFacts, type Facts } from '../facts/gather';
import { flatten } from '../manifest/expand';

interface FactsFlags {
  root: string;
  format: string;
}

export function registerFacts(program: Command): void {
  program
    .command('facts')
    .description('print the facts manifests see as ${facts...} and in when: (read under --root)')
    .option('--root <dir>', 'read the facts of the tree under DIR (an image, a simulated host)', '/')
    .option('--format <format>', 'human (one facts.name = value a line) or json', 'human')
    .action((flags: FactsFlags) => {
      if (!['human', 'json'].includes(flags.format)) throw new DiagnosticsError([{ severity: 'error', summary: `--format ${flags.format} is not known`, hint: 'use --format human or --format json' }]);
      const { facts, problems } = gatherFacts(path.resolve(flags.root));
      if (problems.length > 0) throw new DiagnosticsError(problems.map((p) => ({ severity: 'error', summary: `external fact ${p.file}: ${p.message}`, hint: 'fix or remove it' })));
      process.stdout.write(flags.format === 'json' ? JSON.stringify(facts, null, 2) + '\n' : human(facts));
    });
}

function human(facts: Facts): string {
  return Object.entries(flatten('facts', facts))
    .filter(([name]) => !/\.\d+$/.test(name))
    .map(([name, value]) => `${name} = ${value}\n`)
    .join('');
}
