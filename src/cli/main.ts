import { DiagnosticsError } from '../engine/diagnostics';
import { EXIT } from './exit-codes';
import { VERSION } from './version';

/** Entry point; bin/remedy.js answers a lone `--version` without it. */
export async function main(argv: string[]): Promise<void> {
  let exit: number = EXIT.ok;
  const setExit = (code: number) => (exit = code);
  const { Command, CommanderError } = require('commander') as typeof import('commander');
  const program = new Command('remedy')
    .description('Configuration remediation: plan exact diffs, apply them idempotently and atomically.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  require('./plan').registerPlan(program, setExit);
  require('./apply').registerApply(program, setExit);
  require('./check').registerCheck(program, setExit);
  require('./validate').registerValidate(program, setExit);
  require('./schedule').registerSchedule(program, setExit);
  require('./history').registerHistory(program, setExit);
  require('./rollback').registerRollback(program, setExit);
  require('./schema').registerSchema(program);
  require('./facts').registerFacts(program);
  require('./agent').registerAgent(program, main, setExit);
  require('./pull').registerPull(program, main, setExit);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    exit = handleError(e, argv, CommanderError);
  }
  process.exitCode = exit;
}

function handleError(e: unknown, argv: string[], CommanderError: typeof import('commander').CommanderError): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.error;
  if (e instanceof DiagnosticsError) {
    const { reportDiagnostics } = require('./common') as typeof import('./common');
    reportDiagnostics('remedy', e.diagnostics, { format: 'human', color: !argv.includes('--no-color') });
    return EXIT.error;
  }
  const err = e as Error;
  process.stderr.write(`remedy: internal error: ${err.message}\n`);
  if (argv.includes('--debug')) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('  run again with --debug for the stack trace, and report it\n');
  return EXIT.error;
}
