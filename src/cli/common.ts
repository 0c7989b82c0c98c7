import * as path from 'node:path';
import type { Command } from 'commander';
import { DiagnosticsError, type Diagnostic } from '../engine/diagnostics';
import { makePlan, type CheckedManifest, type PlanOutcome, type RunOptions } from '../run/run';
import { stateDirOf } from '../engine/state-dir';
import { colorsFor, type Colors } from '../report/colors';
import { renderDiagnostics } from '../report/human';
import { renderJson } from '../report/json';
import { renderMarkdownDiagnostics } from '../report/markdown';
import { EXIT } from './exit-codes';
import { RunLog } from './log';
import { VERSION } from './version';

export type Format = 'human' | 'json' | 'markdown';

/** The formats of the commands that report a plan (plan, apply, check). */
export const REPORT_FORMATS: Format[] = ['human', 'json', 'markdown'];

export interface CommonFlags {
  root: string;
  stateDir?: string;
  var: string[];
  group: string[];
  only: string[];
  /** Set by the fleet agent: the host's inventory name and vars (JSON). */
  hostName?: string;
  hostVars?: string;
  /** Set by pull: the commit the manifest was checked out from (kept in the run record). */
  sourceCommit?: string;
  /** Set by the fleet agent: what records call the manifest (its file is a per-run copy). */
  manifestName?: string;
  inventory?: string;
  limit?: string;
  forks?: string;
  serial?: string;
  html?: string;
  format: Format;
  /** false with --no-validate (plan and check). */
  validate?: boolean;
  detailedExitcodes?: boolean;
  color: boolean;
  verbose?: boolean;
  logFile?: string;
  logLevel?: string;
  logFormat?: string;
  debug?: boolean;
}

export { VERSION };

/** Options that every command reading a manifest accepts. */
export function withRunOptions(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'manage the tree under DIR instead of / (images, CI, tests)', '/')
    .option('--state-dir <dir>', 'where the run lock and history live (default: <root>/var/lib/remedy)')
    .option('--var <name=value>', 'set a variable (repeatable); overrides vars: in the manifest', collect, [])
    .option('--group <name>', 'a group this host is in, for host.groups in when: and templates (repeatable)', collect, [])
    .option('-i, --inventory <file>', 'run on every host of this Ansible inventory (YAML or INI) over ssh')
    .option('--limit <pattern>', "with -i: only these hosts (names, groups, globs web*, &group, !host), as Ansible's --limit")
    .option('--forks <n>', 'with -i: hosts at once', '20')
    .option('--html <file>', 'with -i: also write the fleet report as a self-contained HTML page')
    .option('--serial <n|p%>', 'with -i (apply): in batches of N hosts or P% of them; stop after a batch with a failure (the first batch is the canary)')
    .addOption(cmd.createOption('--host-name <name>').hideHelp())
    .addOption(cmd.createOption('--host-vars <json>').hideHelp())
    .addOption(cmd.createOption('--source-commit <sha>').hideHelp())
    .addOption(cmd.createOption('--manifest-name <name>').hideHelp())
    .option('--only <id|tag>', 'plan or apply only these resources (ids or tags, repeatable or comma-separated), with what they require and notify', collectList, [])
    .option('--no-validate', 'plan without running the %s validators on the candidates (apply still runs them)')
    .option('--format <format>', 'report format: human, json or markdown', 'human')
    .option('--detailed-exitcodes', '0 no changes, 2 changes, 4 failures, 6 both (1: manifest or usage error)')
    .option('-v, --verbose', 'also list resources that are already in sync')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .option('--log-file <file>', 'write structured JSON logs here instead of stderr')
    // choices(): an unknown level is a usage error up front, not a crash when the first message is logged.
    .addOption(cmd.createOption('--log-level <level>', 'debug, info, warn, error or silent (default: warn with --log-file, silent on stderr)').choices(['debug', 'info', 'warn', 'error', 'silent']))
    .addOption(cmd.createOption('--log-format <format>', 'json (one object a line) or pretty (readable, one line an event)').choices(['json', 'pretty']))
    .option('--debug', 'show stack traces of internal errors');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectList(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

export function runOptions(manifest: string, flags: CommonFlags): RunOptions {
  return { manifest, root: path.resolve(flags.root), vars: parseVars(flags.var), groups: flags.group, only: flags.only, host: hostOf(flags), commit: flags.sourceCommit, manifestName: flags.manifestName, stateDir: stateDirOf(flags) };
}

/**
 * An action that runs on every host of an inventory when -i is given (src/fleet), and
 * locally otherwise.
 */
export function fleetOr<F extends CommonFlags, R extends unknown[]>(command: 'plan' | 'apply' | 'check', setExit: (code: number) => void, local: (manifest: string, flags: F, ...rest: R) => Promise<void>) {
  return async (manifest: string, flags: F, ...rest: R): Promise<void> => {
    if (flags.inventory === undefined) return local(manifest, flags, ...rest);
    const { runFleet } = require('../fleet/push') as typeof import('../fleet/push');
    setExit(await runFleet(command, manifest, { ...flags, inventory: flags.inventory, root: flags.root === '/' ? undefined : flags.root }));
  };
}

/** The fleet agent's host: its name and inventory vars. */
function hostOf(flags: CommonFlags): RunOptions['host'] {
  if (flags.hostName === undefined) return undefined;
  return { name: flags.hostName, vars: flags.hostVars === undefined ? {} : (JSON.parse(flags.hostVars) as Record<string, unknown>) };
}

function parseVars(pairs: string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new DiagnosticsError([{ severity: 'error', summary: `--var ${pair} is not name=value`, hint: 'write --var php_version=8.2' }]);
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}

export function checkFormat(flags: CommonFlags, formats: Format[] = ['human', 'json']): void {
  if (!formats.includes(flags.format)) {
    throw new DiagnosticsError([{ severity: 'error', summary: `--format ${flags.format} is not known`, hint: `use ${formats.map((f) => `--format ${f}`).join(' or ')}` }]);
  }
}

export function stdoutColors(flags: CommonFlags): Colors {
  return colorsFor(process.stdout, flags.color);
}

export function runLog(flags: CommonFlags, command: string, manifest: string): RunLog {
  // On stderr the human report already says what failed; logs there only when asked for (a level or a format).
  const logLevel = flags.logLevel ?? (flags.logFile ? 'warn' : flags.logFormat ? 'info' : 'silent');
  return new RunLog({ logFile: flags.logFile, logLevel, pretty: flags.logFormat === 'pretty' }, { command, manifest });
}

/** Plans, or prints the diagnostics and says which exit code to use. */
export async function planOrReport(command: string, manifest: string, flags: CommonFlags, log: RunLog, checked?: CheckedManifest): Promise<PlanOutcome & { exit?: number }> {
  checkFormat(flags, REPORT_FORMATS);
  const started = Date.now();
  // A dry run runs the `%s` validators on the candidates; apply runs them before each write, where a refusal fails that resource only.
  const outcome = await makePlan({ ...runOptions(manifest, flags), validate: command !== 'apply' && flags.validate !== false, checked });
  log.info({ ms: Date.now() - started, diagnostics: outcome.diagnostics.length }, 'planned');
  if (!outcome.plan) {
    reportDiagnostics(command, outcome.diagnostics, flags);
    log.error({ diagnostics: outcome.diagnostics }, 'manifest or plan error; nothing was changed');
    return { ...outcome, exit: EXIT.error };
  }
  return outcome;
}

export function reportDiagnostics(command: string, diagnostics: Diagnostic[], flags: Pick<CommonFlags, 'format' | 'color'>): void {
  if (flags.format === 'json') process.stdout.write(renderJson({ command, version: VERSION, diagnostics }));
  if (flags.format === 'markdown') process.stdout.write(renderMarkdownDiagnostics(command, diagnostics));
  const n = diagnostics.length;
  process.stderr.write(renderDiagnostics(diagnostics, colorsFor(process.stderr, flags.color)) + `${n} error(s); nothing was changed.\n`);
}
