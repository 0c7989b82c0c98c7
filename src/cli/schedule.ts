import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { applyPlan } from '../engine/apply';
import { DiagnosticsError, type Diagnostic } from '../engine/diagnostics';
import { planChanges, type Plan } from '../engine/plan';
import { machineLookup, readSystem } from '../engine/read';
import { stateDirOf } from '../engine/state-dir';
import type { ResolvedResource } from '../engine/types';
import { renderPlan, renderResult } from '../report/human';
import { colorsFor } from '../report/colors';
import { reportDiagnostics, type CommonFlags } from './common';
import { durationFlag } from './cron';
import { EXIT } from './exit-codes';
import { cadence, cronFile, schedulePaths, serviceUnit, timerUnit, type Schedule } from './schedule-files';

interface ScheduleFlags extends Pick<CommonFlags, 'root' | 'color'> {
  name?: string;
  dryRun?: boolean;
}

interface InstallFlags extends ScheduleFlags {
  every: string;
  systemd?: boolean;
  splay?: string;
  wait?: string;
  bin?: string;
  metrics: boolean;
  metricsFile?: string;
  logFile?: string;
  stateDir?: string;
  pull?: boolean;
  branch?: string;
  manifest?: string;
  inventory?: string;
  host?: string;
  onlyIfChanged?: boolean;
}

const TEXTFILE_COLLECTOR = '/var/lib/node_exporter/textfile_collector';
const NAME = /^[A-Za-z0-9_-]+$/;

export function registerSchedule(program: Command, setExit: (code: number) => void): void {
  const schedule = program.command('schedule').description('run apply from cron or a systemd timer: install or remove the schedule, shown as a plan first');
  withScheduleFileOptions(schedule.command('install <manifest>').description('write /etc/cron.d/remedy-NAME, or a systemd service and timer with --systemd'))
    .requiredOption('--every <duration>', 'how often: 5m, 10m, 15m, 30m, 1h, 2h, ... or 1d')
    .option('--systemd', 'a systemd service + timer instead of a cron.d file')
    .option('--splay <duration>', 'random delay before each run (default: half the interval)')
    .option('--wait <duration>', 'how long a run waits for a running apply (default: 5m, at most half the interval)')
    .option('--bin <path>', 'the remedy command to run, absolute (default: this node and this remedy script)')
    .option('--metrics-file <file>', `Prometheus metrics of each run (default: ${TEXTFILE_COLLECTOR}/remedy-NAME.prom)`)
    .option('--no-metrics', 'no metrics file')
    .option('--log-file <file>', 'structured logs of each run to FILE (the report always goes to syslog via logger)')
    .option('--state-dir <dir>', 'the state dir the scheduled runs use (default: /var/lib/remedy)')
    .option('--pull', 'schedule `remedy pull` of the repository URL given instead of a manifest (with --branch, --manifest, -i, --host, --only-if-changed)')
    .option('--branch <name>', 'with --pull: the branch to follow')
    .option('--manifest <file>', 'with --pull: the manifest in the repository')
    .option('-i, --inventory <file>', "with --pull: the repository's inventory")
    .option('--host <name>', "with --pull: this host's name in the inventory")
    .option('--only-if-changed', 'with --pull: do nothing when the commit did not move and the last run converged')
    .action(async (manifest: string, flags: InstallFlags) => {
      const s = scheduleOf(manifest, flags);
      setExit(await converge(s.name, installed(s, flags.systemd === true), flags, 'schedule install', s.manifest));
    });
  withScheduleFileOptions(schedule.command('remove [manifest]').description('remove the cron.d file or systemd units of a schedule'))
    .action(async (manifest: string | undefined, flags: ScheduleFlags) => {
      const name = nameOf(manifest, flags);
      setExit(await converge(name, REMOVED, flags, 'schedule remove', `remedy-${name}`));
    });
}

function withScheduleFileOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'the schedule name, remedy-NAME (default: the manifest file name without extension)')
    .option('--root <dir>', 'write the schedule files under DIR instead of / (images, tests)', '/')
    .option('--dry-run', 'show the plan; write nothing')
    .option('--no-color', 'no colour (also NO_COLOR)');
}

type Wanted = { content: string } | { link: string } | 'absent';
type ScheduleFiles = Record<keyof ReturnType<typeof schedulePaths>, Wanted>;

/** Every schedule file of the name: the chosen flavour present (the timer enabled), the other one absent. */
function installed(s: Schedule, systemd: boolean): ScheduleFiles {
  const only = (yes: boolean, wanted: Wanted): Wanted => (yes ? wanted : 'absent');
  return {
    cron: only(!systemd, { content: cronFile(s) }),
    service: only(systemd, { content: serviceUnit(s) }),
    timer: only(systemd, { content: timerUnit(s) }),
    enabled: only(systemd, { link: schedulePaths(s.name).timer }),
  };
}

const REMOVED: ScheduleFiles = { cron: 'absent', service: 'absent', timer: 'absent', enabled: 'absent' };

/** pull's own options for a scheduled pull. */
function pullArgs(flags: InstallFlags): string[] {
  const opt = (name: string, v: string | undefined) => (v === undefined ? [] : [name, v]);
  return [...opt('--branch', flags.branch), ...opt('--manifest', flags.manifest), ...opt('-i', flags.inventory), ...opt('--host', flags.host), ...(flags.onlyIfChanged ? ['--only-if-changed'] : [])];
}

function scheduleOf(manifest: string, flags: InstallFlags): Schedule {
  const abs = flags.pull ? manifest : path.resolve(manifest);
  if (!flags.pull && !fs.existsSync(abs)) throw usage(`the manifest ${abs} does not exist`, 'give the manifest that the schedule will apply (or a repository URL with --pull)');
  const everySeconds = durationFlag('--every', flags.every);
  if (!cadence(everySeconds)) throw usage(`--every ${flags.every} does not divide an hour or a day evenly`, 'use 1m to 30m that divide 60 (5m, 10m, 15m, 30m), 1h to 12h that divide 24, or 1d');
  const name = nameOf(manifest, flags);
  return {
    name,
    manifest: abs,
    everySeconds,
    splaySeconds: flags.splay === undefined ? Math.floor(everySeconds / 2) : durationFlag('--splay', flags.splay),
    waitSeconds: flags.wait === undefined ? Math.min(300, Math.floor(everySeconds / 2)) : durationFlag('--wait', flags.wait),
    remedy: flags.bin === undefined ? [process.execPath, fs.realpathSync(process.argv[1])] : [absolute('--bin', flags.bin)],
    metricsFile: flags.metrics ? absolute('--metrics-file', flags.metricsFile ?? `${TEXTFILE_COLLECTOR}/remedy-${name}.prom`) : undefined,
    logFile: flags.logFile === undefined ? undefined : absolute('--log-file', flags.logFile),
    stateDir: flags.stateDir === undefined ? undefined : absolute('--state-dir', flags.stateDir),
    pull: flags.pull ? pullArgs(flags) : undefined,
  };
}

function nameOf(manifest: string | undefined, flags: ScheduleFlags): string {
  if (flags.name === undefined && manifest === undefined) throw usage('schedule remove needs the schedule name', 'pass --name NAME, or the manifest it applies');
  // cron ignores /etc/cron.d files whose names have other characters (a dot, for one).
  const name = flags.name ?? path.basename(manifest!.replace(/\/+$/, '')).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '-');
  if (!NAME.test(name)) throw usage(`--name ${name} is not a valid schedule name`, 'use letters, digits, - and _ only: cron ignores other file names in /etc/cron.d');
  return name;
}

function absolute(option: string, p: string): string {
  if (!path.isAbsolute(p)) throw usage(`${option} ${p} is not an absolute path`, 'cron and systemd do not run in this directory: give the full path');
  return p;
}

function usage(summary: string, hint: string): DiagnosticsError {
  return new DiagnosticsError([{ severity: 'error', summary, hint }]);
}

/** The schedule files are `file` resources: the same plan, diff and atomic writes as any manifest. `subject` heads the report. */
async function converge(name: string, files: ScheduleFiles, flags: ScheduleFlags, command: string, subject: string): Promise<number> {
  const root = path.resolve(flags.root);
  const paths = schedulePaths(name);
  const resources = Object.entries(files).map(([role, wanted]) => fileResource(role, paths[role as keyof ScheduleFiles], wanted));
  const diagnostics: Diagnostic[] = [];
  const state = await readSystem(resources, root, diagnostics, stateDirOf({ root }));
  const planned = diagnostics.length > 0 ? { diagnostics } : planChanges(subject, root, resources, state, machineLookup(root, path.dirname(subject)));
  if (!planned.plan) {
    reportDiagnostics('schedule', planned.diagnostics, { format: 'human', color: flags.color });
    return EXIT.error;
  }
  const opts = { colors: colorsFor(process.stdout, flags.color), verbose: false };
  process.stdout.write(renderPlan(planned.plan, opts, command));
  if (flags.dryRun || planned.plan.summary.changed === 0) return EXIT.ok;
  const result = await applyPlan(planned.plan);
  process.stdout.write('\n' + renderResult(result, opts) + nextStep(planned.plan, paths.timer));
  return result.failed > 0 ? EXIT.error : EXIT.ok;
}

/** cron reads /etc/cron.d by itself; systemd must reload its units and start or stop the timer. */
function nextStep(plan: Plan, timerPath: string): string {
  const timer = plan.files.find((f) => f.path === timerPath);
  if (!timer) return '';
  const unit = path.basename(timerPath);
  return timer.action === 'delete' ? `Then: systemctl stop ${unit} && systemctl daemon-reload\n` : `Then: systemctl daemon-reload && systemctl restart ${unit}\n`;
}

function fileResource(id: string, filePath: string, wanted: Wanted): ResolvedResource {
  const spec = wanted === 'absent' ? { ensure: 'absent' } : 'link' in wanted ? { ensure: 'link', target: wanted.link, create_parents: true } : { content: wanted.content, mode: '0644', create_parents: true };
  return {
    id,
    type: 'file',
    spec: { id, type: 'file', path: filePath, ...spec },
    path: filePath,
    requires: [],
    notify: [],
    sensitive: false,
    source: { file: 'remedy schedule', line: 1, column: 1 },
    manifestDir: process.cwd(),
  };
}
