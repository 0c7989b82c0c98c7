import * as fs from 'node:fs';
import { ResourceError } from '../engine/diagnostics';
import type { ActionKind, CommandSpec, PlannedAction, ProbeIo } from '../engine/types';

export interface ServiceSpec {
  id: string;
  name: string;
  ensure?: 'running' | 'stopped';
  enable?: boolean;
  on_refresh?: 'reload' | 'restart';
  status_command?: string[];
  start_command?: string[];
  stop_command?: string[];
  reload_command?: string[];
  restart_command?: string[];
}

export type ServiceManager = 'systemd' | 'sysv';

export interface ServiceState {
  manager: ServiceManager;
  running: boolean;
  /** Only read when the spec manages `enable`. */
  enabled?: boolean;
}

type Verb = 'status' | 'start' | 'stop' | 'reload' | 'restart' | 'enable' | 'disable';

const argv = (what: string) => ({ type: 'array', items: { type: 'string' }, minItems: 1, description: what });

/**
 * The command for a verb: the spec's own argv override, else systemctl where systemd
 * is PID 1, else Debian's `service` / `update-rc.d` (containers, CI).
 */
export function serviceCommand(spec: ServiceSpec, manager: ServiceManager, verb: Verb): CommandSpec {
  const override = (spec as unknown as Record<string, string[] | undefined>)[`${verb}_command`];
  if (override) return { argv: override, timeoutMs: 120_000 };
  if (manager === 'systemd') {
    const systemctl: Record<Verb, string[]> = {
      status: ['systemctl', 'is-active', '--quiet', spec.name],
      start: ['systemctl', 'start', spec.name],
      stop: ['systemctl', 'stop', spec.name],
      reload: ['systemctl', 'reload', spec.name],
      restart: ['systemctl', 'restart', spec.name],
      enable: ['systemctl', 'enable', spec.name],
      disable: ['systemctl', 'disable', spec.name],
    };
    return { argv: systemctl[verb], timeoutMs: 120_000 };
  }
  const sysv: Record<Verb, string[]> = {
    status: ['service', spec.name, 'status'],
    start: ['service', spec.name, 'start'],
    stop: ['service', spec.name, 'stop'],
    reload: ['service', spec.name, 'reload'],
    restart: ['service', spec.name, 'restart'],
    enable: ['update-rc.d', spec.name, 'enable'],
    disable: ['update-rc.d', spec.name, 'disable'],
  };
  return { argv: sysv[verb], timeoutMs: 120_000 };
}

export function detectManager(): ServiceManager {
  return fs.existsSync('/run/systemd/system') ? 'systemd' : 'sysv';
}

function sysvEnabled(name: string): boolean {
  try {
    return fs.readdirSync('/etc/rc2.d').some((f) => f === `S01${name}` || new RegExp(`^S\\d\\d${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`).test(f));
  } catch {
    return false;
  }
}

async function readService(spec: ServiceSpec, io: ProbeIo): Promise<ServiceState> {
  const manager = detectManager();
  // A status command of one's own means a service outside the service manager: its commands are the user's.
  if (spec.status_command === undefined && !(await serviceExists(spec.name, manager, io))) throw unknownService(spec.name, manager);
  const running = (await io.run(serviceCommand(spec, manager, 'status'))).code === 0;
  if (spec.enable === undefined) return { manager, running };
  const enabled = manager === 'systemd' ? (await io.run({ argv: ['systemctl', 'is-enabled', '--quiet', spec.name] })).code === 0 : sysvEnabled(spec.name);
  return { manager, running, enabled };
}

/**
 * A misspelled name must not read as "stopped" (`service apache status` says
 * "unrecognized service" and exits non-zero, like a stopped one): systemd says
 * LoadState=not-found; without systemd a service is a script in /etc/init.d.
 */
async function serviceExists(name: string, manager: ServiceManager, io: ProbeIo): Promise<boolean> {
  if (manager === 'sysv') return fs.existsSync(`/etc/init.d/${name}`);
  const res = await io.run({ argv: ['systemctl', 'show', '--property=LoadState', '--value', name] });
  return res.code === 0 && res.stdout.trim() !== 'not-found';
}

function unknownService(name: string, manager: ServiceManager): ResourceError {
  const where = manager === 'systemd' ? `systemd has no unit ${name}` : `there is no /etc/init.d/${name}`;
  const list = manager === 'systemd' ? 'systemctl list-unit-files --type=service' : 'ls /etc/init.d';
  return new ResourceError(`service '${name}' does not exist on this machine (${where})`, `fix name (${list} lists the services), or give status_command and the other *_command fields for a service run outside the service manager`, 'name');
}

/** Pure: start/stop/enable now; a reload or restart after all file writes when notified. */
export function planService(spec: ServiceSpec, state: ServiceState, notified: boolean): PlannedAction {
  const cmd = (verb: Verb) => serviceCommand(spec, state.manager, verb);
  const commands: CommandSpec[] = [];
  const reasons: string[] = [];
  let action: PlannedAction['action'] = 'none';
  if (spec.ensure === 'running' && !state.running) {
    commands.push(cmd('start'));
    reasons.push(`${spec.name} is stopped; start it`);
    action = 'start';
  } else if (spec.ensure === 'stopped' && state.running) {
    commands.push(cmd('stop'));
    reasons.push(`${spec.name} is running; stop it`);
    action = 'stop';
  }
  if (spec.enable !== undefined && state.enabled !== spec.enable) {
    commands.push(cmd(spec.enable ? 'enable' : 'disable'));
    reasons.push(`${spec.name} is ${spec.enable ? 'not enabled at boot; enable' : 'enabled at boot; disable'} it`);
    if (action === 'none') action = spec.enable ? 'enable' : 'disable';
  }
  const willRun = spec.ensure === 'running' || (spec.ensure === undefined && state.running);
  const justStarted = action === 'start';
  if (notified && willRun && !justStarted) {
    const verb = spec.on_refresh ?? 'reload';
    reasons.push(`notified: ${verb} ${spec.name} after the file writes, if its notifiers really change`);
    if (action === 'none') action = verb;
    return { action, reason: reasons.join('; '), commands, refresh: [cmd(verb)] };
  }
  if (action === 'none') reasons.push(`${spec.name} is ${state.running ? 'running' : 'stopped'}${spec.enable === undefined ? '' : `, ${state.enabled ? 'enabled' : 'disabled'} at boot`}`);
  return { action, reason: reasons.join('; '), commands };
}

export const serviceKind: ActionKind<ServiceSpec, ServiceState> = {
  kind: 'service',
  scope: 'action',
  summary: 'A system service: keeps it running or stopped, enabled or not, and reloads or restarts it when notified.',
  schema: {
    properties: {
      name: { type: 'string', minLength: 1, description: 'The service name (apache2, php8.2-fpm).' },
      ensure: { enum: ['running', 'stopped'], description: 'Whether it must be running. Unset: leave it as it is.' },
      enable: { type: 'boolean', description: 'Whether it starts at boot. Unset: leave it as it is.' },
      on_refresh: { enum: ['reload', 'restart'], description: 'What a notification does (default reload).' },
      status_command: argv('argv whose exit 0 means running (default: systemctl is-active, or service NAME status).'),
      start_command: argv('argv that starts it.'),
      stop_command: argv('argv that stops it.'),
      reload_command: argv('argv that reloads it (for servers run outside a service manager, e.g. apache2 -f CONF -k graceful).'),
      restart_command: argv('argv that restarts it.'),
    },
    required: ['name'],
  },
  read: readService,
  plan: planService,
};
