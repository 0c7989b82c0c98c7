import * as path from 'node:path';
import { ResourceError } from '../engine/diagnostics';
import { showCommand } from '../engine/exec';
import type { ActionKind, CommandResult, CommandSpec, PlannedAction, ProbeIo } from '../engine/types';

/** An argv list (run directly), or a string run by /bin/sh -c (only with shell: true). */
export type CommandLine = string | string[];

export interface ExecSpec {
  id: string;
  command: CommandLine;
  shell?: boolean;
  unless?: CommandLine;
  onlyif?: CommandLine;
  creates?: string;
  cwd?: string;
  env?: Record<string, string>;
  timeout?: number;
  refresh_only?: boolean;
  returns?: number[];
}

export type Guard = 'unless' | 'onlyif';

/** What a guard command answered at read time. */
export interface GuardResult {
  guard: Guard;
  shown: string;
  code: number;
}

/** What read() saw: each check stops at the first that decides "nothing to do". */
export interface ExecState {
  /** Whether `creates` exists (only when the spec has creates). */
  createsExists?: boolean;
  guards: GuardResult[];
}

/** Puppet's exec default: 300 s. */
const DEFAULT_TIMEOUT_S = 300;

const commandLine = (what: string) => ({
  oneOf: [
    { type: 'array', items: { type: 'string' }, minItems: 1 },
    { type: 'string', minLength: 1 },
  ],
  description: `${what} An argv list runs without a shell; a string runs with /bin/sh -c and needs shell: true.`,
});

/** The command a CommandLine describes, with the spec's cwd, env and timeout. */
function commandOf(spec: ExecSpec, line: CommandLine): CommandSpec {
  const cmd: CommandSpec = typeof line === 'string' ? { argv: [line], shell: true } : { argv: line };
  if (spec.cwd !== undefined) cmd.cwd = spec.cwd;
  if (spec.env !== undefined) cmd.env = spec.env;
  cmd.timeoutMs = (spec.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  return cmd;
}

/** `[test -f /x]`: a command as the reasons show it. */
function showLine(line: CommandLine): string {
  return `[${shownCommand(line)}]`;
}

function shownCommand(line: CommandLine): string {
  return typeof line === 'string' ? line : showCommand(line);
}

function checkLine(spec: ExecSpec, field: 'command' | Guard): void {
  const line = spec[field];
  if (typeof line !== 'string' || spec.shell === true) return;
  throw new ResourceError(
    `${field} is a string, but shell is not true: remedy runs commands without a shell unless asked, so quoting, pipes and $VARS would not work as written`,
    `write it as an argv list, e.g. ${field}: [${line
      .split(/\s+/)
      .filter((w) => w !== '')
      .map((w) => JSON.stringify(w))
      .join(', ')}], or set shell: true to run it with /bin/sh -c`,
    field,
  );
}

function checkManagedPath(p: string | undefined, field: 'creates' | 'cwd'): void {
  if (p === undefined) return;
  if (!path.isAbsolute(p)) throw new ResourceError(`${field} '${p}' is not absolute`, `write the full path from / (it is read under --root)`, field);
  if (p.split('/').includes('..')) throw new ResourceError(`${field} '${p}' contains '..'`, 'write the path without .. segments', field);
}

/** Validate-time checks. */
function checkExecSpec(spec: ExecSpec): void {
  checkLine(spec, 'command');
  checkLine(spec, 'unless');
  checkLine(spec, 'onlyif');
  checkManagedPath(spec.creates, 'creates');
  checkManagedPath(spec.cwd, 'cwd');
}

/** Exit codes that mean the guard itself could not run; deciding on them would be a guess. */
function probeFailure(res: CommandResult, timeoutS: number): string | undefined {
  if (res.timedOut) return `timed out after ${timeoutS} s`;
  if (res.signal) return `was killed by ${res.signal}`;
  if (res.code === 126 || res.code === 127) return `could not run (exit ${res.code}${res.stderr.trim() ? `: ${res.stderr.trim().split('\n')[0]}` : ''})`;
  return undefined;
}

/**
 * Reads what decides whether the command runs: `creates` under --root, then `onlyif`,
 * then `unless`, stopping at the first that says "nothing to do". The guards run now,
 * before any write of this run, so they must only look (test, grep, a version check).
 */
export async function readExec(spec: ExecSpec, io: ProbeIo): Promise<ExecState> {
  const state: ExecState = { guards: [] };
  if (spec.creates !== undefined) {
    state.createsExists = await io.exists(spec.creates);
    if (state.createsExists) return state;
  }
  const guards = (['onlyif', 'unless'] as const).filter((g) => spec[g] !== undefined);
  if (guards.length > 0 && spec.cwd !== undefined && !(await io.exists(spec.cwd))) {
    throw new ResourceError(`cwd ${spec.cwd} does not exist, so ${guards[0]} cannot run`, 'guards run at plan time, before any write of this run: create the directory beforehand, or fix cwd', 'cwd');
  }
  for (const guard of guards) {
    const line = spec[guard]!;
    const res = await io.run(commandOf(spec, line));
    const failure = probeFailure(res, spec.timeout ?? DEFAULT_TIMEOUT_S);
    if (failure) throw new ResourceError(`${guard} ${showLine(line)} ${failure}; a check that cannot answer decides nothing`, `fix the ${guard} command (it runs on this machine, with cwd under --root)`, guard);
    state.guards.push({ guard, shown: showLine(line), code: res.code! });
    if (skips(guard, res.code!)) return state;
  }
  return state;
}

/** `unless` exiting 0, or `onlyif` exiting non-zero, means nothing to do. */
function skips(guard: Guard, code: number): boolean {
  return guard === 'unless' ? code === 0 : code !== 0;
}

/** Pure: run now, run after the writes when notified (refresh_only), or nothing, and why. */
export function planExec(spec: ExecSpec, state: ExecState, notified: boolean): PlannedAction {
  const none = (reason: string): PlannedAction => ({ action: 'none', reason, commands: [] });
  if (state.createsExists) return none(`creates ${spec.creates} exists: nothing to do`);
  const decided = state.guards.find((g) => skips(g.guard, g.code));
  if (decided) return none(`${decided.guard} ${decided.shown} exited ${decided.code}: nothing to do`);
  const why = [
    ...(spec.creates !== undefined ? [`creates ${spec.creates} is missing`] : []),
    ...state.guards.map((g) => `${g.guard} ${g.shown} exited ${g.code}`),
  ];
  const cmd = commandOf(spec, spec.command);
  if (spec.returns !== undefined) cmd.returns = spec.returns;
  const shown = shownCommand(spec.command);
  if (spec.refresh_only) {
    if (!notified) return none(`refresh_only: runs only when a resource that notifies it changes; none does in this plan`);
    return { action: 'run', reason: `${[...why, 'notified'].join('; ')}: will run after the file writes, if a notifier really changes: ${shown}`, commands: [], refresh: [cmd] };
  }
  return { action: 'run', reason: `${why.length > 0 ? `${why.join('; ')}: ` : ''}will run: ${shown}`, commands: [cmd] };
}

export const execKind: ActionKind<ExecSpec, ExecState> = {
  kind: 'exec',
  scope: 'action',
  summary: 'Runs a command when its guards say so (creates, unless, onlyif), or only when notified (refresh_only), like Puppet exec and Ansible command.',
  schema: {
    properties: {
      command: commandLine('The command to run.'),
      shell: { type: 'boolean', default: false, description: 'Allow strings in command, unless and onlyif; each string runs with /bin/sh -c. Default false.' },
      unless: commandLine('Guard run at plan time: exit 0 means nothing to do. Must only look, never change anything.'),
      onlyif: commandLine('Guard run at plan time: a non-zero exit means nothing to do. Must only look, never change anything.'),
      creates: { type: 'string', minLength: 1, description: 'Absolute path (under --root): when it exists, nothing to do.' },
      cwd: { type: 'string', minLength: 1, description: 'Absolute working directory for the command and its guards, resolved under --root.' },
      env: { type: 'object', additionalProperties: { type: 'string' }, description: 'Variables added to the environment remedy runs with.' },
      timeout: { type: 'number', exclusiveMinimum: 0, default: DEFAULT_TIMEOUT_S, description: 'Seconds before the command (or a guard) is killed and counts as failed. Default 300.' },
      refresh_only: { type: 'boolean', default: false, description: 'Run only when a resource that notifies it really changes: once, after all file writes.' },
      returns: {
        type: 'array',
        items: { type: 'integer', minimum: 0, maximum: 255 },
        minItems: 1,
        uniqueItems: true,
        description: 'Exit codes that count as success. Default [0].',
      },
    },
    required: ['command'],
  },
  check: checkExecSpec,
  read: readExec,
  plan: planExec,
};
