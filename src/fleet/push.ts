import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticsError, type Diagnostic } from '../engine/diagnostics';
import { limitHosts, loadInventory, type InventoryHost } from './inventory';
import { renderHtml } from './html';
import { renderFleet, type FleetCommand, type HostResult } from './report';
import { selfContained } from './sea';
import { SSH_FAILED, sshClose, sshRun, sshTarget, type SshTarget } from './ssh';

/**
 * `plan|apply|check MANIFEST -i INVENTORY`: the same engine on every host, over the
 * system ssh. Per host: one probe (its node, and whether this bundle is there), the
 * bundle uploaded content-addressed only when missing, then one `remedy agent` call
 * that gets the manifest's folder and the host's vars on stdin and answers with the
 * JSON report. Hosts run `forks` at a time; one that fails or cannot be reached never
 * stops the others; results are in inventory order.
 */

export interface FleetFlags {
  inventory: string;
  limit?: string;
  forks?: string;
  serial?: string;
  html?: string;
  /** plan --out: the fleet plan file (each host keeps its own saved plan). */
  out?: string;
  root?: string;
  var: string[];
  only: string[];
  format: string;
  detailedExitcodes?: boolean;
  validate?: boolean;
  color: boolean;
}

/** The manifest's folder travels whole (templates, sources, includes); this much at most. */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
const RUN_TIMEOUT_MS = 60 * 60 * 1000;
const PROBE_TIMEOUT_MS = 60 * 1000;
/** Connection vars are ssh's; every other inventory var becomes a manifest var for that host. */
const CONNECTION_VAR = /^ansible_/;

interface PayloadFile {
  path: string;
  mode: number;
  b64: string;
}

/** The single-file bundle this process runs from (dist/remedy.js), with its sha256. */
export function bundle(): { bytes: Buffer; sha256: string } {
  const candidates = [path.join(__dirname, 'remedy.js'), path.join(__dirname, '..', '..', 'dist', 'remedy.js'), path.join(__dirname, '..', 'remedy.js')];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new DiagnosticsError([{ severity: 'error', summary: 'the remedy bundle (dist/remedy.js) is missing, so there is nothing to send to the hosts', hint: 'run npm run build' }]);
  const bytes = fs.readFileSync(file);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function manifestFolder(manifest: string): PayloadFile[] {
  const root = path.dirname(path.resolve(manifest));
  const files: PayloadFile[] = [];
  let total = 0;
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(child);
      } else if (entry.isFile()) {
        const bytes = fs.readFileSync(path.join(root, child));
        total += bytes.length;
        if (total > MAX_PAYLOAD_BYTES) throw new DiagnosticsError([{ severity: 'error', summary: `the manifest's folder ${root} holds more than ${MAX_PAYLOAD_BYTES / 1048576} MiB, all of which would go to every host`, hint: 'keep the manifest, its includes, templates and source files in a folder of their own' }]);
        files.push({ path: child, mode: fs.statSync(path.join(root, child)).mode & 0o777, b64: bytes.toString('base64') });
      }
    }
  };
  walk('');
  return files;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The remote remedy's arguments for one host: its root, its name, groups and vars, and the manifest's name on this controller. */
function agentArgs(command: FleetCommand, manifest: string, host: InventoryHost, flags: FleetFlags & { root: string }): string[] {
  const vars = Object.fromEntries(Object.entries(host.vars).filter(([k]) => !CONNECTION_VAR.test(k) && k !== 'root'));
  return [
    '--root',
    flags.root,
    '--format',
    'json',
    '--detailed-exitcodes',
    '--no-color',
    '--host-name',
    host.name,
    '--manifest-name',
    `${os.hostname()}:${path.resolve(manifest)}`,
    '--host-vars',
    JSON.stringify(vars),
    ...host.groups.flatMap((g) => ['--group', g]),
    ...flags.var.flatMap((v) => ['--var', v]),
    ...flags.only.flatMap((o) => ['--only', o]),
    ...(flags.validate === false && command !== 'apply' ? ['--no-validate'] : []),
  ];
}

/** What runs remedy on a host: the bundle under the host's node, or the self-contained executable. */
interface Program {
  bytes: Buffer;
  sha256: string;
  /** The shell words that start it, given its path on the host. */
  start(remotePath: string): string;
  suffix: string;
}

/** What the host's run exits with when it cannot start there (no node >= 20 or no bundle): the controller then probes. */
const CANNOT_START = 86;
/** ...and what a shell exits with when `node` is there but cannot run (126) or is not found (127). */
const NOT_STARTED = new Set([CANNOT_START, 126, 127]);

/**
 * Starts the bundle under the host's node, as src/cli/start.ts does locally: through a
 * vm.Script with V8's code cache, which each host makes for its own node version after
 * its first run (beside the bundle), so later runs skip compiling. A node older than 20
 * exits CANNOT_START before it reads the bundle.
 */
const BUNDLE_START = [
  `if (+process.versions.node.split('.')[0] < 20) process.exit(${CANNOT_START});`,
  "const fs = require('fs'), f = process.argv[1], cache = f + '.' + process.version + '.cache';",
  'let data; try { data = fs.readFileSync(cache); } catch {}',
  "const s = new (require('vm').Script)('(function (exports, require, module, __filename, __dirname) {' + fs.readFileSync(f, 'latin1') + '\\n})', { filename: f, cachedData: data });",
  "process.on('exit', () => { if (data && !s.cachedDataRejected) return; try { const t = cache + '.' + process.pid; fs.writeFileSync(t, s.createCachedData(), { mode: 0o600 }); fs.renameSync(t, cache); } catch {} });",
  "const m = { exports: {} }; s.runInThisContext()(m.exports, require('module').createRequire(f), m, f, require('path').dirname(f));",
  "m.exports.main(['node', 'remedy'].concat(process.argv.slice(2)));",
].join(' ');

function bundleProgram(code: { bytes: Buffer; sha256: string }): Program {
  return { ...code, suffix: '.js', start: (p) => `node -e ${shellQuote(BUNDLE_START)} ${shellQuote(p)}` };
}

function programPath(root: string, program: Program): string {
  return `${root.replace(/\/+$/, '')}/var/lib/remedy/bin/${program.sha256}${program.suffix}`;
}

/** The machine names `uname -m` prints for this controller's architecture. */
function controllerArch(): string {
  return ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** Programs kept on a host (by mtime): the new one and two before it, for controllers of other versions still running there. */
const PROGRAMS_KEPT = 3;

/** Uploads the program to `<root>/var/lib/remedy/bin/<sha256><suffix>` unless it is there; checked on arrival; older ones pruned. */
async function ensureProgram(target: SshTarget, root: string, program: Program, present: boolean): Promise<{ path: string; problem?: Omit<HostResult, 'name' | 'seconds'> }> {
  const remote = programPath(root, program);
  if (present) return { path: remote };
  const dir = path.posix.dirname(remote);
  const upload = `set -e; d=${shellQuote(dir)}; mkdir -p "$d"; chmod 700 ${shellQuote(path.posix.dirname(dir))} "$d"; t="$d/.upload.$$"; cat > "$t"; [ "$(sha256sum < "$t" | cut -d' ' -f1)" = ${program.sha256} ] || { rm -f "$t"; echo 'remedy arrived damaged' >&2; exit 3; }; chmod 700 "$t"; mv "$t" ${shellQuote(remote)}; cd "$d"; ls -t | grep -E '^[0-9a-f]{64}(\\.js)?$' | tail -n +${PROGRAMS_KEPT + 1} | while read -r old; do rm -f "$old" "$old".*.cache; done`;
  const sent = await sshRun(target, upload, program.bytes, RUN_TIMEOUT_MS);
  if (sent.code === SSH_FAILED) return { path: remote, problem: { status: 'unreachable', message: firstLine(sent.stderr) } };
  if (sent.code !== 0) return { path: remote, problem: { status: 'failed', message: `uploading remedy failed: ${firstLine(sent.stderr)}` } };
  return { path: remote };
}

/** What `remedy agent` on a host gets on stdin. */
export interface AgentRequest {
  command: string;
  /** For plan, apply and check: the manifest's path in the request's folder. */
  manifest?: string;
  /** Where to keep the request's folder (a saved fleet plan); without it, a temp dir that goes. */
  folder?: string;
  files: PayloadFile[];
  args: string[];
}

export interface Programs {
  bundle: Program;
  selfContained: () => Program;
}

type Outcome = Omit<HostResult, 'name' | 'seconds'>;

/**
 * One host, one agent request. Usually one round trip: the agent runs when the bundle and
 * a node >= 20 are there. Else the probe (its node, its machine, what is there), remedy
 * put there (the bundle, or the self-contained executable without a usable node), and
 * the agent. `answer` turns what the agent printed into the host's outcome.
 */
export async function onHost(host: InventoryHost, programs: Programs, controlPath: string, defaultRoot: string | undefined, request: (root: string) => AgentRequest, answer: (code: number, stdout: string, stderr: string) => Outcome): Promise<HostResult> {
  const started = Date.now();
  const target = sshTarget(host, controlPath);
  const done = (r: Outcome): HostResult => ({ name: host.name, seconds: (Date.now() - started) / 1000, ...r });
  const root = String(host.vars.root ?? defaultRoot ?? '/');
  const has = (p: Program) => `[ -f ${shellQuote(programPath(root, p))} ] && printf have || printf missing`;
  let notStarted = '';
  const runAgent = async (script: string): Promise<Outcome | undefined> => {
    const run = await sshRun(target, script, JSON.stringify(request(root)), RUN_TIMEOUT_MS);
    if (run.code === SSH_FAILED || run.code === null) return { status: 'unreachable', message: firstLine(run.stderr) || (run.timedOut ? 'the run timed out' : 'the connection failed') };
    if (!NOT_STARTED.has(run.code)) return answer(run.code, run.stdout, run.stderr);
    notStarted = `exit ${run.code}${firstLine(run.stderr) ? `: ${firstLine(run.stderr)}` : ''}`;
    return undefined;
  };
  try {
    const bundlePath = programPath(root, programs.bundle);
    const direct = await runAgent(`[ -f ${shellQuote(bundlePath)} ] && command -v node >/dev/null 2>&1 || exit ${CANNOT_START}; exec ${programs.bundle.start(bundlePath)} agent`);
    // No report at all may be a damaged bundle there (a disk fault, a hand edit): it is sent again when its digest differs.
    const damaged = direct !== undefined && direct.status === 'failed' && direct.report === undefined && !(await intact(target, bundlePath, programs.bundle.sha256));
    if (direct && !damaged) return done(direct);
    const probe = await sshRun(target, `node -e 'process.stdout.write(process.versions.node)' 2>/dev/null || printf none; printf ' '; uname -m; ${has(programs.bundle)}`, undefined, PROBE_TIMEOUT_MS);
    if (probe.code === SSH_FAILED || probe.code === null || probe.timedOut) return done({ status: 'unreachable', message: firstLine(probe.stderr) || 'ssh could not connect' });
    const [nodeVersion, arch, present] = probe.stdout.trim().split(/\s+/);
    let program = programs.bundle;
    let isThere = present === 'have' && !damaged;
    if (nodeVersion === 'none' || !(Number(nodeVersion.split('.')[0]) >= 20)) {
      // No usable node there: the self-contained executable, when the host's machine is this one's.
      if (arch !== controllerArch()) return done({ status: 'failed', message: `the host has no node >= 20 (found ${nodeVersion}) and is ${arch}, not ${controllerArch()} like this controller: install Node.js 20 or later there` });
      program = programs.selfContained();
      const second = await sshRun(target, has(program), undefined, PROBE_TIMEOUT_MS);
      isThere = second.stdout.trim() === 'have';
    }
    const placed = await ensureProgram(target, root, program, isThere);
    if (placed.problem) return done(placed.problem);
    // The executable runs from the state dir: a noexec mount there is the usual reason it cannot.
    const why = program === programs.bundle ? '' : `; can programs run from ${path.posix.dirname(placed.path)} (a noexec mount)?`;
    return done((await runAgent(`${program.start(placed.path)} agent`)) ?? { status: 'failed', message: `remedy could not start on the host (${notStarted})${why}` });
  } finally {
    await sshClose(target);
  }
}

/** Whether the program at `remotePath` on the host still has its digest. */
async function intact(target: SshTarget, remotePath: string, sha256: string): Promise<boolean> {
  const sum = await sshRun(target, `sha256sum < ${shellQuote(remotePath)}`, undefined, PROBE_TIMEOUT_MS);
  return sum.code === 0 && sum.stdout.trim().split(/\s+/)[0] === sha256;
}

/** The host's JSON report and detailed exit code -> its status. */
function hostOutcome(code: number, stdout: string, stderr: string): Outcome {
  let report: Record<string, any> | undefined;
  try {
    report = JSON.parse(stdout);
  } catch {
    return { status: 'failed', exitCode: code, message: firstLine(stderr) || `the host answered without a report (exit ${code})` };
  }
  if (code === 1 || code === 4 || code === 6) return { status: 'failed', exitCode: code, report, message: report?.diagnostics?.[0]?.summary ?? firstLine(stderr) };
  return { status: code === 2 ? 'changed' : 'in-sync', exitCode: code, report };
}

function firstLine(s: string): string {
  return s.trim().split('\n').filter((l) => !l.startsWith('Warning: Permanently added'))[0] ?? '';
}

/** On a terminal, one line on stderr that counts the hosts done; nothing otherwise (cron, CI, pipes). */
function progressLine(total: number): (r: HostResult) => HostResult {
  let finished = 0;
  const failed = new Set<string>();
  return (r) => {
    if (!process.stderr.isTTY) return r;
    finished++;
    if (r.status === 'failed' || r.status === 'unreachable') failed.add(r.name);
    process.stderr.write(`\r\x1b[K${finished}/${total} hosts done${failed.size > 0 ? `, ${failed.size} failed or unreachable` : ''}${finished === total ? '\n' : ''}`);
    return r;
  };
}

/** The bundle, and the self-contained executable built only when a host needs it (once a run). */
export function programsFor(code: { bytes: Buffer; sha256: string }): Programs {
  let sea: Program | undefined;
  return { bundle: bundleProgram(code), selfContained: () => (sea ??= selfContainedProgram(code.bytes)) };
}

/** The self-contained executable as a program: it is started directly. */
function selfContainedProgram(bundleBytes: Buffer): Program {
  const exe = selfContained(bundleBytes);
  return { bytes: fs.readFileSync(exe.file), sha256: exe.sha256, suffix: '', start: (p) => shellQuote(p) };
}

/** At most `forks` at a time, results in input order. */
export async function pool<T, R>(items: T[], forks: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(forks, items.length) }, worker));
  return results;
}

/** `--serial N` or `N%` of the hosts -> batch sizes; the first batch is the canary. */
export function batchSizes(serial: string | undefined, hosts: number): number[] | undefined {
  if (serial === undefined) return undefined;
  const m = /^(\d+)(%?)$/.exec(serial.trim());
  if (!m || Number(m[1]) === 0) throw new DiagnosticsError([{ severity: 'error', summary: `--serial ${serial} is not a number of hosts or a percentage`, hint: 'write --serial 1 (a canary host, then one at a time) or --serial 25%' }]);
  const size = m[2] ? Math.max(1, Math.floor((hosts * Number(m[1])) / 100)) : Number(m[1]);
  return Array.from({ length: Math.ceil(hosts / size) }, (_, i) => Math.min(size, hosts - i * size));
}

/** A batch stops the rollout when a host in it failed (a failed verify is a failure: it rolled back). */
const batchFailed = (results: HostResult[]) => results.some((r) => r.status === 'failed');

/** Exit codes folded over the hosts: changes 2 and failures 4 as locally, +8 when a host was unreachable (plain: 1 for either). */
export function fleetExit(results: HostResult[], detailed: boolean): number {
  const changed = results.some((r) => r.status === 'changed');
  const failed = results.some((r) => r.status === 'failed');
  const unreachable = results.some((r) => r.status === 'unreachable');
  if (!detailed) return failed || unreachable ? 1 : 0;
  return (changed ? 2 : 0) + (failed ? 4 : 0) + (unreachable ? 8 : 0);
}

export async function runFleet(command: FleetCommand, manifest: string, flags: FleetFlags): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const inventory = loadInventory(path.resolve(flags.inventory), diagnostics);
  const hosts = inventory ? limitHosts(inventory, flags.limit, diagnostics) : [];
  const forks = Number(flags.forks ?? 20);
  if (!Number.isInteger(forks) || forks < 1) diagnostics.push({ severity: 'error', summary: `--forks ${flags.forks} is not a whole number of hosts`, hint: 'give 1 or more, e.g. --forks 20' });
  if (!fs.existsSync(manifest)) diagnostics.push({ severity: 'error', summary: `manifest ${manifest} does not exist`, hint: 'give the manifest file to run on the hosts' });
  const saved = command === 'apply' ? readFleetPlan(manifest) : undefined;
  if (diagnostics.length > 0) throw new DiagnosticsError(diagnostics);
  const code = bundle();
  const payload = saved ? [] : manifestFolder(manifest);
  const planId = flags.out !== undefined ? createHash('sha256').update(`${Date.now()} ${process.pid} ${Math.random()}`).digest('hex').slice(0, 16) : undefined;
  const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-ssh-'));
  fs.chmodSync(controlDir, 0o700);
  try {
    const programs = programsFor(code);
    const request = (h: InventoryHost) => (root: string): AgentRequest => {
      if (saved) return { command, files: [], args: [savedPlanPath(root, saved.planId), '--root', root, '--format', 'json', '--detailed-exitcodes', '--no-color'] };
      const folder = planId === undefined ? undefined : path.posix.dirname(savedPlanPath(root, planId));
      return { command, manifest: path.basename(manifest), files: payload, folder, args: [...agentArgs(command, manifest, h, { ...flags, root }), ...(folder ? ['--out', savedPlanPath(root, planId!)] : [])] };
    };
    const planned = (h: InventoryHost) => !saved || saved.hosts.some((x) => x.name === h.name && (x.status === 'changed' || x.status === 'in-sync'));
    const notPlanned = (h: InventoryHost): HostResult => ({ name: h.name, status: 'failed', seconds: 0, message: `the saved fleet plan has no plan for ${h.name}; plan it again with plan --out -i` });
    const progress = progressLine(hosts.length);
    const one = async (h: InventoryHost) => progress(planned(h) ? await onHost(h, programs, path.join(controlDir, String(hosts.indexOf(h))), flags.root, request(h), hostOutcome) : notPlanned(h));
    const results = await rollout(hosts, command === 'apply' ? batchSizes(flags.serial, hosts.length) : undefined, forks, one);
    const report = { command, manifest, inventory: flags.inventory, results };
    process.stdout.write(renderFleet(report, flags.format, flags.color));
    if (flags.html !== undefined) writeHtml(flags.html, report);
    if (planId !== undefined) writeFleetPlan(flags.out!, { format: FLEET_PLAN_FORMAT, planId, manifest: path.resolve(manifest), inventory: path.resolve(flags.inventory), hosts: results.map((r) => ({ name: r.name, status: r.status })) });
    return command === 'check' ? checkExit(results) : fleetExit(results, flags.detailedExitcodes === true);
  } finally {
    fs.rmSync(controlDir, { recursive: true, force: true });
  }
}

/**
 * All hosts `forks` at a time, or with --serial in batches, each after the previous one
 * succeeded; the hosts after a failed batch are reported as not run, by name.
 */
async function rollout(hosts: InventoryHost[], batches: number[] | undefined, forks: number, one: (h: InventoryHost) => Promise<HostResult>): Promise<HostResult[]> {
  if (!batches) return pool(hosts, forks, one);
  const results: HostResult[] = [];
  let at = 0;
  for (const [i, size] of batches.entries()) {
    const batch = hosts.slice(at, at + size);
    at += size;
    results.push(...(await pool(batch, forks, one)));
    if (batchFailed(results.slice(-size)) && at < hosts.length) {
      const why = `not touched: batch ${i + 1}${i === 0 ? ' (the canary)' : ''} had a failure`;
      results.push(...hosts.slice(at).map((h) => ({ name: h.name, status: 'not-run' as const, seconds: 0, message: why })));
      break;
    }
  }
  return results;
}

/** A saved fleet plan: which hosts planned, and the id under which each keeps its own saved plan. */
interface FleetPlan {
  format: typeof FLEET_PLAN_FORMAT;
  planId: string;
  manifest: string;
  inventory: string;
  hosts: { name: string; status: HostResult['status'] }[];
}

const FLEET_PLAN_FORMAT = 'remedy-fleet-plan-1';

/** Where a host keeps the saved plan of a fleet plan, with the manifest folder it was made from (its digest is checked again at apply). */
function savedPlanPath(root: string, planId: string): string {
  return `${root.replace(/\/+$/, '')}/var/lib/remedy/plans/${planId}/plan.json`;
}

/** The fleet plan `apply FILE -i` was given, or undefined when FILE is a manifest. */
function readFleetPlan(file: string): FleetPlan | undefined {
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as FleetPlan;
    return doc?.format === FLEET_PLAN_FORMAT ? doc : undefined;
  } catch {
    return undefined;
  }
}

function writeFleetPlan(file: string, plan: FleetPlan): void {
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, JSON.stringify(plan, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, file);
  process.stderr.write(`Saved the fleet plan to ${file}: each host keeps its own plan. Apply exactly these plans with: remedy apply ${file} -i ${plan.inventory}\n`);
}

/** The page is written whole or not at all (a temp file renamed over it). */
function writeHtml(file: string, report: Parameters<typeof renderHtml>[0]): void {
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, renderHtml(report));
  fs.renameSync(temp, file);
}

/** check: 0 in sync everywhere, 2 drift somewhere, 1 when a host failed or was unreachable. */
function checkExit(results: HostResult[]): number {
  if (results.some((r) => r.status === 'failed' || r.status === 'unreachable')) return 1;
  return results.some((r) => r.status === 'changed') ? 2 : 0;
}

