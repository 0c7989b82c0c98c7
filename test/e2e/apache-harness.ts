import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/**
 * A real Apache 2.4 + mod_php, started by a test on its own config file.
 *
 * The config is self-contained (absolute module paths, every runtime file in
 * workDir), so the argv it hands out (reload, stop, config test) work from any
 * environment: remedy runs them with its own env, not with /etc/apache2/envvars.
 * mod_php reads the harness's own php.ini (PHPIniDir, a copy of Debian's
 * php.ini-production, so a test may edit it) and the system conf.d, so opcache
 * runs exactly as shipped (revalidate_freq=2): never switched off to pass.
 */

const APACHE_BINARY = '/usr/sbin/apache2';
const APACHE_CTL = '/usr/sbin/apache2ctl';
const MODULE_DIR = '/usr/lib/apache2/modules';
const REQUIRED_MODULES = ['mpm_prefork', 'authz_core', 'dir', 'mime'] as const;
const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 5;
/** A path no site has: asking for it proves a worker answers without running PHP (no cache side effect). */
const READINESS_PATH = '/.apache-harness-ready';

export type ApacheAvailability = { ok: true } | { ok: false; reason: string };

export interface StartApacheOptions {
  /** Served as DocumentRoot. It and its parents must be readable by www-data when running as root. */
  docRoot: string;
  /** Holds the config, pid file, error log and mutexes. Must be traversable by www-data too. */
  workDir: string;
  /** Appended verbatim at the end of the generated config (e.g. `LogLevel debug`). */
  extraConfig?: string;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ApacheServer {
  url: string;
  port: number;
  configFile: string;
  pidFile: string;
  errorLog: string;
  /** The php.ini this server's mod_php reads (PHPIniDir): a copy of php.ini-production. */
  phpIni: string;
  /** Included by configFile, like Debian's conf-enabled/security.conf: `ServerTokens OS`. */
  securityConf: string;
  /** apache2 -f <config> -k graceful */
  reloadArgv: string[];
  /** apache2 -f <config> -k stop */
  stopArgv: string[];
  /** apache2 -f <config> -t */
  configTestArgv: string[];
  /** Stops the server and waits until its process is gone; safe to call twice. */
  stop(): Promise<void>;
  /** GET over a fresh connection to 127.0.0.1. */
  get(urlPath: string): Promise<HttpAnswer>;
  /** The last `lines` lines of the error log ('' when there is none yet). */
  errorLogTail(lines: number): string;
  /** The parent's pid, from pidFile. */
  parentPid(): number | undefined;
  /** How many graceful restarts (reloads) the parent has logged since it started. */
  gracefulRestarts(): number;
}

interface PhpModule {
  name: string;
  file: string;
  /** "8.2", from libphp8.2.so. */
  version: string;
}

interface CommandOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Everything the end-to-end tests run: Apache + mod_php, apache2ctl and php on PATH (validators), php.ini-production. */
export function apacheAvailable(): ApacheAvailability {
  if (!isExecutable(APACHE_BINARY)) return { ok: false, reason: `${APACHE_BINARY} is missing (apt-get install apache2)` };
  const missing = REQUIRED_MODULES.map(moduleFile).filter((file) => !fs.existsSync(file));
  if (missing.length > 0) return { ok: false, reason: `Apache modules missing: ${missing.join(', ')}` };
  const php = findPhpModule();
  if (!php) return { ok: false, reason: `no libphp*.so in ${MODULE_DIR} (apt-get install libapache2-mod-php)` };
  if (!findPhpIniTemplate(php)) return { ok: false, reason: `no php.ini-production for PHP ${php.version} (apt-get install libapache2-mod-php)` };
  // remedy runs validators and reload commands by name, through PATH, as a manifest does.
  for (const [command, pkg] of [['php', 'php-cli'], ['apache2', 'apache2'], ['apache2ctl', 'apache2']] as const) {
    if (!onPath(command)) return { ok: false, reason: `${command} is not on PATH (${process.env.PATH ?? ''}); apt-get install ${pkg}, or add /usr/sbin to PATH` };
  }
  if (!isExecutable(APACHE_CTL)) return { ok: false, reason: `${APACHE_CTL} is missing (apt-get install apache2)` };
  return { ok: true };
}

export async function startApache(opts: StartApacheOptions): Promise<ApacheServer> {
  const availability = apacheAvailable();
  if (!availability.ok) throw new Error(`cannot start Apache: ${availability.reason}`);
  const docRoot = path.resolve(opts.docRoot);
  const workDir = path.resolve(opts.workDir);
  const runAsWwwData = process.getuid?.() === 0;
  if (runAsWwwData) {
    assertWorkersCanRead(docRoot);
    assertWorkersCanRead(workDir);
  }
  const configFile = path.join(workDir, 'httpd.conf');
  const files: ServerFiles = {
    configFile,
    pidFile: path.join(workDir, 'apache2.pid'),
    errorLog: path.join(workDir, 'error.log'),
    phpIni: path.join(workDir, 'php', 'php.ini'),
    securityConf: path.join(workDir, 'conf', 'security.conf'),
  };
  writeReadable(files.phpIni, fs.readFileSync(findPhpIniTemplate(findPhpModule()!)!));
  writeReadable(files.securityConf, SECURITY_CONF);

  for (let attempt = 1; ; attempt++) {
    const port = await reserveFreePort();
    fs.writeFileSync(configFile, renderConfig({ ...files, port, docRoot, workDir, runAsWwwData, extraConfig: opts.extraConfig }));
    const started = await runCommand([APACHE_BINARY, '-f', configFile, '-k', 'start']);
    const server = createServer(port, files);
    if (started.code === 0) {
      await waitUntilAnswering(server);
      // Read only now: the detached parent writes its pid file after `-k start` returns.
      const pid = server.parentPid();
      if (pid !== undefined) livePids.add(pid);
      return server;
    }
    // Another process may take the port between reserveFreePort() closing it and Apache binding it.
    const output = `${started.stderr}\n${server.errorLogTail(5)}`;
    if (/Address already in use/.test(output) && attempt < PORT_ATTEMPTS) continue;
    throw new Error(`apache2 -k start failed (exit ${started.code}):\n${started.stderr}${started.stdout}\nerror log:\n${server.errorLogTail(20)}`);
  }
}

interface ServerFiles {
  configFile: string;
  pidFile: string;
  errorLog: string;
  phpIni: string;
  securityConf: string;
}

/** Like Debian's conf-available/security.conf: what php.yml's apache-server-tokens edits. */
const SECURITY_CONF = `# Included by the harness's httpd.conf, like /etc/apache2/conf-enabled/security.conf.
ServerTokens OS
ServerSignature On
TraceEnable Off
`;

/**
 * Apache parents still running in this process. If jest dies before afterAll, the
 * exit hook kills them, so a crashed run leaves no server holding a port.
 */
const livePids = new Set<number>();
process.once('exit', () => {
  for (const pid of livePids) {
    killQuietly(-pid);
    killQuietly(pid);
  }
});

function createServer(port: number, files: ServerFiles): ApacheServer {
  const base = [APACHE_BINARY, '-f', files.configFile];
  const stopArgv = [...base, '-k', 'stop'];
  let stopping: Promise<void> | undefined;
  const server: ApacheServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    ...files,
    reloadArgv: [...base, '-k', 'graceful'],
    stopArgv,
    configTestArgv: [...base, '-t'],
    stop: () => (stopping ??= stopServer(files.pidFile, stopArgv)),
    get: (urlPath) => httpGet(port, urlPath),
    errorLogTail: (lines) => tailOf(files.errorLog, lines),
    parentPid: () => readPid(files.pidFile),
    // AH00171, logged by the parent on SIGUSR1 (apache2 -k graceful).
    gracefulRestarts: () => (fs.existsSync(files.errorLog) ? fs.readFileSync(files.errorLog, 'utf8').split('Graceful restart requested').length - 1 : 0),
  };
  return server;
}

interface ConfigInput extends ServerFiles {
  port: number;
  docRoot: string;
  workDir: string;
  runAsWwwData: boolean;
  extraConfig?: string;
}

function renderConfig(c: ConfigInput): string {
  const php = findPhpModule()!;
  const loads = REQUIRED_MODULES.map((m) => `LoadModule ${m}_module ${quote(moduleFile(m))}`);
  return [
    '# Written by test/e2e/apache-harness.ts: independent of /etc/apache2.',
    `ServerRoot ${quote(c.workDir)}`,
    'ServerName 127.0.0.1',
    `Listen 127.0.0.1:${c.port}`,
    `PidFile ${quote(c.pidFile)}`,
    `ErrorLog ${quote(c.errorLog)}`,
    'LogLevel warn',
    `DefaultRuntimeDir ${quote(c.workDir)}`,
    `Mutex file:${c.workDir} default`,
    ...(c.runAsWwwData ? ['User www-data', 'Group www-data'] : []),
    ...loads,
    `LoadModule ${php.name} ${quote(php.file)}`,
    // The harness's php.ini; conf.d (opcache) is still the system's, compiled into libphp.
    `PHPIniDir ${quote(path.dirname(c.phpIni))}`,
    // A few workers are plenty for tests and keep startup fast.
    'StartServers 2',
    'MinSpareServers 1',
    'MaxSpareServers 4',
    'MaxRequestWorkers 8',
    `TypesConfig ${fs.existsSync('/etc/mime.types') ? '/etc/mime.types' : '/dev/null'}`,
    'DirectoryIndex index.php',
    `DocumentRoot ${quote(c.docRoot)}`,
    `<Directory ${quote(c.docRoot)}>`,
    '  Require all granted',
    '</Directory>',
    '<FilesMatch "\\.php$">',
    '  SetHandler application/x-httpd-php',
    '</FilesMatch>',
    `Include ${quote(c.securityConf)}`,
    c.extraConfig ?? '',
    '',
  ].join('\n');
}

/** Apache config strings are double-quoted; a path that needs escaping is refused rather than mangled. */
function quote(value: string): string {
  if (/["\\\n]/.test(value)) throw new Error(`path not usable in an Apache config: ${JSON.stringify(value)}`);
  return `"${value}"`;
}

function moduleFile(name: string): string {
  return path.join(MODULE_DIR, `mod_${name}.so`);
}

/** Debian ships libphp8.2.so whose module is php_module (PHP 7 used php7_module). */
function findPhpModule(): PhpModule | undefined {
  const names = fs.existsSync(MODULE_DIR) ? fs.readdirSync(MODULE_DIR) : [];
  const file = names.filter((n) => /^libphp\d[\d.]*\.so$/.test(n)).sort().pop();
  if (!file) return undefined;
  const version = /^libphp([\d.]*\d)\.so$/.exec(file)![1];
  const major = Number(version.split('.')[0]);
  return { name: major >= 8 ? 'php_module' : `php${major}_module`, file: path.join(MODULE_DIR, file), version };
}

/**
 * What Debian installs as /etc/php/X/apache2/php.ini. The pristine template, not
 * /etc's copy, so a locally edited php.ini cannot change what the tests start from.
 */
function findPhpIniTemplate(php: PhpModule): string | undefined {
  return [`/usr/lib/php/${php.version}/php.ini-production`, `/etc/php/${php.version}/apache2/php.ini`].find((f) => fs.existsSync(f));
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && isExecutable(path.join(dir, command)));
}

/** Written 0644 whatever the umask, its directory 0755: the parent reads it as root, workers as www-data. */
function writeReadable(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.writeFileSync(file, content, { mode: 0o644 });
  fs.chmodSync(file, 0o644);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Workers run as www-data: every directory from `dir` up to / must let "others"
 * in, or every request fails with 403. mkdtemp creates 0700 dirs, hence the check.
 */
function assertWorkersCanRead(dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    const needed = d === dir ? 0o005 : 0o001;
    const mode = fs.statSync(d).mode & 0o777;
    if ((mode & needed) !== needed) {
      throw new Error(`${d} is mode ${mode.toString(8)}: Apache's workers run as www-data and cannot read ${dir}; chmod 0755 it`);
    }
    if (d === path.dirname(d)) return;
  }
}

async function reserveFreePort(): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await new Promise<number>((resolve, reject) => {
        const probe = net.createServer();
        probe.once('error', reject);
        probe.listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as net.AddressInfo;
          probe.close(() => resolve(port));
        });
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/** A clean environment proves the config needs none of Debian's APACHE_* variables. */
function runCommand(argv: string[]): Promise<CommandOutcome> {
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { env, timeout: COMMAND_TIMEOUT_MS }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitUntilAnswering(server: ApacheServer): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await server.get(READINESS_PATH);
      return;
    } catch (err) {
      lastError = err;
      await sleep(50);
    }
  }
  await server.stop();
  throw new Error(
    `Apache did not answer on ${server.url} within ${STARTUP_TIMEOUT_MS} ms (${String(lastError)}); error log:\n${server.errorLogTail(20)}`,
  );
}

async function stopServer(pidFile: string, stopArgv: string[]): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === undefined) return;
  await runCommand(stopArgv);
  if (!(await waitUntilGone(pid, STOP_TIMEOUT_MS))) {
    // Last resort. Apache's parent leads its own process group, so this takes its workers too.
    killQuietly(-pid);
    killQuietly(pid);
    await waitUntilGone(pid, 2_000);
  }
  livePids.delete(pid);
}

function readPid(pidFile: string): number | undefined {
  const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : NaN;
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** A zombie counts as gone: the detached parent is reaped by init, sometimes a while later. */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function httpGet(port: number, urlPath: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

function tailOf(file: string, lines: number): string {
  if (!fs.existsSync(file)) return '';
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
