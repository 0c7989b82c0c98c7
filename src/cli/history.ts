import type { Command } from 'commander';
import { stateDirOf } from '../engine/state-dir';
import { historyEntry, renderHistory, renderHistoryJson } from '../report/history';
import { loadRecords } from '../state/records';
import { checkFormat, stdoutColors, VERSION, type CommonFlags } from './common';
import { EXIT } from './exit-codes';

export function registerHistory(program: Command, setExit: (code: number) => void): void {
  program
    .command('history')
    .description('list the recorded runs: id, time, manifest, changes, result, drift')
    .option('--root <dir>', 'the managed tree whose state dir to read', '/')
    .option('--state-dir <dir>', 'read this state dir (default: <root>/var/lib/remedy)')
    .option('--format <format>', 'human or json', 'human')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .option('-i, --inventory <file>', 'the history of every host of this inventory, over ssh')
    .option('--limit <pattern>', 'with -i: only these hosts')
    .action(async (flags: CommonFlags) => {
      checkFormat(flags);
      if (flags.inventory !== undefined) {
        const { runRemote } = require('../fleet/remote') as typeof import('../fleet/remote');
        return setExit(await runRemote('history', [], { ...flags, inventory: flags.inventory, root: flags.root === '/' ? undefined : flags.root }));
      }
      const stateDir = stateDirOf(flags);
      const warn = (runId: string, why: string) => process.stderr.write(`remedy history: skipped run ${runId}: ${why}\n`);
      const entries = loadRecords(stateDir, warn).map(historyEntry);
      process.stdout.write(flags.format === 'json' ? renderHistoryJson(stateDir, entries, VERSION) : renderHistory(stateDir, entries, stdoutColors(flags)));
      setExit(EXIT.ok);
    });
}
