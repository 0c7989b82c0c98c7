import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApacheServer, startApache } from './apache-harness';
import { describeWithApache } from './gate';
import {
  INCIDENT_MARKER,
  PROBE_PATH,
  RuntimeProbe,
  ageSiteFiles,
  fixLocaleTypo,
  introduceSyntaxError,
  repairSyntaxError,
  writeIncidentSite,
} from './site';

/*
 * Runs a real Apache + mod_php on the incident site. The tests run in order and
 * share one server: each step starts from the state the previous one left.
 */

const POLL_INTERVAL_MS = 100;
const POLL_WINDOW_MS = 5_000;

interface Sample {
  atMs: number;
  status: number;
}

interface Watch {
  /** Milliseconds from `since` to the first answer with the awaited status, or undefined. */
  delayMs?: number;
  samples: Sample[];
}

/** Polls `/` every 100 ms for up to 5 s, until it answers `awaited`. */
async function watchStatus(server: ApacheServer, awaited: number, since: number): Promise<Watch> {
  const samples: Sample[] = [];
  while (Date.now() - since <= POLL_WINDOW_MS) {
    const { status } = await server.get('/');
    const atMs = Date.now() - since;
    samples.push({ atMs, status });
    if (status === awaited) return { delayMs: atMs, samples };
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return { samples };
}

/** Until the awaited status, every answer was the other one: no third state, no flapping. */
function statusesBefore(watch: Watch): number[] {
  return [...new Set(watch.samples.slice(0, -1).map((s) => s.status))];
}

/** Requests `/` once so opcache compiles and caches the current wp-settings.php now. */
async function warmCache(server: ApacheServer, expected: number): Promise<void> {
  expect((await server.get('/')).status).toBe(expected);
}

function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755); // Apache's workers run as www-data
  return dir;
}

function readPid(server: ApacheServer): number {
  return Number(fs.readFileSync(server.pidFile, 'utf8').trim());
}

function processGone(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return true;
  }
}

describeWithApache('Apache + mod_php on the incident site', () => {
  let server: ApacheServer | undefined;
  const dirs: string[] = [];
  const measured: string[] = [];
  let docRoot = '';

  beforeAll(async () => {
    docRoot = makeTempDir('remedy-e2e-site-');
    const workDir = makeTempDir('remedy-e2e-apache-');
    dirs.push(docRoot, workDir);
    writeIncidentSite(docRoot);
    server = await startApache({ docRoot, workDir });
  });

  afterAll(async () => {
    await server?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    if (measured.length > 0 && process.env.REMEDY_E2E_SHOW === '1') console.log(`opcache with stock settings:\n  ${measured.join('\n  ')}`);
  });

  const running = (): ApacheServer => {
    if (!server) throw new Error('Apache did not start');
    return server;
  };

  test("PHP runs under mod_php with the harness's php.ini and opcache as shipped", async () => {
    const answer = await running().get(PROBE_PATH);
    expect(answer.status).toBe(200);
    const probe = JSON.parse(answer.body) as RuntimeProbe;
    expect(probe).toMatchObject({
      sapi: 'apache2handler',
      php_ini: running().phpIni,
      opcache_enabled: true,
      revalidate_freq: '2',
      validate_timestamps: '1',
      file_update_protection: '2',
    });
    // A fatal error is a 500 only while display_errors is off (Debian's production php.ini).
    expect(['', '0', 'Off', 'off']).toContain(probe.display_errors);
  });

  test('the .phpp typo answers 500 and logs the fatal error', async () => {
    const answer = await running().get('/');
    expect(answer.status).toBe(500);
    expect(answer.body).not.toContain(INCIDENT_MARKER);
    expect(running().errorLogTail(5)).toMatch(/PHP Fatal error: .*class-wp-locale\.phpp/);
  });

  test('fixing the typo atomically answers 200 with the marker', async () => {
    const since = Date.now();
    fixLocaleTypo(docRoot);
    const watch = await watchStatus(running(), 200, since);
    measured.push(`fix (.phpp -> .php, the broken script cached): 200 after ${watch.delayMs} ms`);
    expect(watch.delayMs).toBeDefined();
    expect(statusesBefore(watch)).toEqual(watch.samples.length > 1 ? [500] : []);
    expect((await running().get('/')).body).toContain(INCIDENT_MARKER);
  });

  test('a syntax error shows only once opcache revalidates the cached script', async () => {
    ageSiteFiles(docRoot, 1800); // the fixed site has been live a while: opcache may cache it
    await warmCache(running(), 200);
    const since = Date.now();
    introduceSyntaxError(docRoot);
    const watch = await watchStatus(running(), 500, since);
    measured.push(
      `break (syntax error, the good script just cached): 500 after ${watch.delayMs} ms; ` +
        `answers were ${watch.samples.map((s) => `${s.status}@${s.atMs}`).join(' ')}`,
    );
    expect(watch.delayMs).toBeDefined();
    expect(statusesBefore(watch)).toEqual(watch.samples.length > 1 ? [200] : []);
    expect(running().errorLogTail(3)).toMatch(/PHP Parse error: .*wp-settings\.php/);
  });

  test('a graceful reload keeps the server up and drops the cached code at once', async () => {
    repairSyntaxError(docRoot);
    ageSiteFiles(docRoot, 900);
    await warmCache(running(), 200);
    const parentPid = readPid(running());
    introduceSyntaxError(docRoot);
    const since = Date.now();
    const reload = running().reloadArgv;
    execFileSync(reload[0], reload.slice(1), { stdio: 'pipe' });
    // mod_php is unloaded and loaded again on a graceful restart, and opcache's memory with it.
    expect((await running().get('/')).status).toBe(500);
    measured.push(`break + graceful reload: first answer 500 after ${Date.now() - since} ms`);
    expect(readPid(running())).toBe(parentPid);
    expect(running().gracefulRestarts()).toBe(1);
    repairSyntaxError(docRoot);
    expect((await running().get('/')).body).toContain(INCIDENT_MARKER);
  });

  test('the config test accepts the config and rejects a broken copy of it', () => {
    const { configFile, configTestArgv } = running();
    const good = spawnSync(configTestArgv[0], configTestArgv.slice(1), { encoding: 'utf8' });
    expect(good.status).toBe(0);
    expect(good.stderr).toContain('Syntax OK');

    const brokenCopy = path.join(path.dirname(configFile), 'broken.conf');
    fs.writeFileSync(brokenCopy, `${fs.readFileSync(configFile, 'utf8')}NotADirective on\n`);
    const argv = configTestArgv.map((arg) => (arg === configFile ? brokenCopy : arg));
    const broken = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain('Invalid command');
  });
});

describeWithApache('ApacheServer.stop', () => {
  test('stops the whole server, twice without harm', async () => {
    const docRoot = makeTempDir('remedy-e2e-site-');
    const workDir = makeTempDir('remedy-e2e-apache-');
    let server: ApacheServer | undefined;
    try {
      writeIncidentSite(docRoot);
      server = await startApache({ docRoot, workDir });
      const pid = readPid(server);
      await Promise.all([server.stop(), server.stop()]);
      await server.stop();
      expect(processGone(pid)).toBe(true);
      await expect(server.get('/')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await server?.stop();
      for (const dir of [docRoot, workDir]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
