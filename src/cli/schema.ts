import type { Command } from 'commander';
import { manifestSchema } from '../manifest/schema';
import { kinds } from '../resources';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the manifest JSON Schema (also at schema/manifest.schema.json)')
    .action(() => {
      process.stdout.write(JSON.stringify(manifestSchema(kinds), null, 2) + '\n');
    });
}
