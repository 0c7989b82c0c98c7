import { formatDuration } from '../engine/duration';
import { showCommand } from '../engine/exec';

/** A scheduled `remedy apply`, as `schedule install` was asked for it. */
export interface Schedule {
  name: string;
  /** Absolute manifest path. */
  manifest: string;
  everySeconds: number;
  splaySeconds: number;
  waitSeconds: number;
  /** What runs remedy: [node, script] or [bin], absolute. */
  remedy: string[];
  metricsFile?: string;
  logFile?: string;
  stateDir?: string;
  /** `remedy pull` instead of apply: `manifest` is then the repository URL, these are pull's own options. */
  pull?: string[];
}

/** Where each flavour's files live on the managed system; `enabled` is the link `systemctl enable` makes. */
export function schedulePaths(name: string): { cron: string; service: string; timer: string; enabled: string } {
  return {
    cron: `/etc/cron.d/remedy-${name}`,
    service: `/etc/systemd/system/remedy-${name}.service`,
    timer: `/etc/systemd/system/remedy-${name}.timer`,
    enabled: `/etc/systemd/system/timers.target.wants/remedy-${name}.timer`,
  };
}

/** Both notations of one interval; only intervals that divide an hour or a day evenly keep a fixed rhythm in cron. */
export function cadence(everySeconds: number): { cron: string; calendar: string } | undefined {
  const minutes = everySeconds / 60;
  const hours = everySeconds / 3600;
  if (Number.isInteger(minutes) && minutes >= 1 && minutes < 60 && 60 % minutes === 0) return { cron: `*/${minutes} * * * *`, calendar: `*-*-* *:00/${minutes}:00` };
  if (Number.isInteger(hours) && hours >= 1 && hours < 24 && 24 % hours === 0) return { cron: `0 */${hours} * * *`, calendar: `*-*-* 00/${hours}:00:00` };
  if (everySeconds === 86400) return { cron: '0 0 * * *', calendar: '*-*-* 00:00:00' };
  return undefined;
}

function header(s: Schedule, flavour: string): string[] {
  return [
    `# Managed by remedy (remedy schedule install${flavour}); remove with: remedy schedule remove --name ${s.name}`,
    `# ${s.pull ? 'Pulls and applies' : 'Applies'} ${s.manifest} every ${formatDuration(s.everySeconds)}, after a random delay below ${formatDuration(s.splaySeconds)};`,
    `# waits up to ${formatDuration(s.waitSeconds)} for a running apply (exit 75 if it is still running).`,
  ];
}

/** `remedy apply` with the options every scheduled run gets; the splay is the scheduler's own with systemd. */
function applyArgv(s: Schedule, withSplay: boolean): string[] {
  return [
    ...s.remedy,
    ...(s.pull ? ['pull', s.manifest, ...s.pull] : ['apply', s.manifest]),
    ...(withSplay ? ['--splay', formatDuration(s.splaySeconds)] : []),
    '--wait',
    formatDuration(s.waitSeconds),
    ...(s.stateDir ? ['--state-dir', s.stateDir] : []),
    ...(s.metricsFile ? ['--metrics-file', s.metricsFile] : []),
    ...(s.logFile ? ['--log-file', s.logFile, '--log-level', 'info'] : []),
  ];
}

/** /etc/cron.d format: environment lines, then `m h dom mon dow user command`; `%` is a newline to cron unless escaped. */
export function cronFile(s: Schedule): string {
  const command = `${showCommand(applyArgv(s, true))} 2>&1 | logger -t remedy-${s.name}`.replace(/%/g, '\\%');
  return [...header(s, ''), 'SHELL=/bin/sh', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `${cadence(s.everySeconds)!.cron} root ${command}`, ''].join('\n');
}

export function serviceUnit(s: Schedule): string {
  return [
    ...header(s, ' --systemd'),
    '[Unit]',
    `Description=remedy ${s.pull ? 'pull' : 'apply'} ${escapeSpecifiers(s.manifest)}`,
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${applyArgv(s, false).map(systemdWord).join(' ')}`,
    '# 75: another apply held the run lock; the next run will try again.',
    'SuccessExitStatus=75',
    `SyslogIdentifier=remedy-${s.name}`,
    '',
  ].join('\n');
}

export function timerUnit(s: Schedule): string {
  return [
    ...header(s, ' --systemd'),
    '[Unit]',
    `Description=Run remedy-${s.name}.service every ${formatDuration(s.everySeconds)}`,
    '',
    '[Timer]',
    `OnCalendar=${cadence(s.everySeconds)!.calendar}`,
    `RandomizedDelaySec=${formatDuration(s.splaySeconds)}`,
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/** systemd splits ExecStart= on spaces and honours double quotes; `%` starts a specifier. */
function systemdWord(word: string): string {
  const escaped = escapeSpecifiers(word);
  return /^[\w@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/[\\"]/g, '\\$&')}"`;
}

function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}
