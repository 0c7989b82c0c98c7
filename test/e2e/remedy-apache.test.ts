import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, type CliRun } from '../helpers/cli';
import { startApache, type ApacheServer } from './apache-harness';
import { describeWithApache } from './gate';
import { FIXED_REQUIRE, INCIDENT_MARKER, PROBE_PATH, SETTINGS_FILE, TYPO_REQUIRE, writeIncidentSite, type RuntimeProbe } from './site';

/*
 * The founding incident end to end (issue 4): `remedy apply` run in this process
 * (test/helpers/cli.ts) with --root / against a real Apache + mod_php that each test
 * starts for itself on the incident site. The paths are the harness's real
 * absolute paths, so Apache serves exactly the bytes remedy wrote.
 *
 * opcache runs as shipped (revalidate_freq=2, never switched off; see
 * docs/testing-apache.md): a cached script is re-checked only once the request
 * time, in whole seconds, passes the last check's second + 2, so a break that
 * Apache is not reloaded for shows up to 3 s after the last request. The verify
 * checks below keep remedy's default settle (4 s), which is what makes them see it.
 */

const repo = path.join(__dirname, '..', '..');
const PHP_MANIFEST = path.join(repo, 'manifests', 'php.yml');
/** The page's text without markup, safe to put in a YAML flow mapping. */
const MARKER_TEXT = INCIDENT_MARKER.replace(/<\/?h1>/g, '');

/** The incident's fix alone: .phpp -> .php, checked by php -l, Apache reloaded once on change. */
const FIX_MANIFEST = `
resources:
  - id: wp-require-typo
    type: replace
    path: \${docroot}/wp-settings.php
    pattern: '\\.phpp\\b'
    replacement: .php
    validate: php -l %s
    notify: [apache]
  - id: apache
    type: service
    name: apache2-e2e
    on_refresh: reload
    status_command: [sh, -c, 'kill -0 "$(cat "$1")"', status, "\${apache_pid_file}"]
    reload_command: [apache2, -f, "\${apache_conf}", -k, graceful]
verify:
  - name: the site answers 200 with its page
    http: { url: "\${site_url}", status: 200, contains: ${MARKER_TEXT} }
    retries: 2
    delay: 0.5
`;

/**
 * A botched edit that drops a semicolon: wp-settings.php no longer parses. No
 * validator and no reload, like a file deployed under a running Apache: only
 * the verify stands between it and an outage. `settle` is left to remedy's default.
 */
/** The home page as Apache serves it now, checked to be the site's own page with status 200. */
async function servesTheSite(server: ApacheServer): Promise<{ status: number; body: string }> {
  const page = await server.get('/');
  expect(page.status).toBe(200);
  expect(page.body).toContain(INCIDENT_MARKER);
  return page;
}

function breakManifest(opts: { validate?: string; settle?: number } = {}): string {
  return `
resources:
  - id: wp-locale-edit
    type: replace
    path: \${docroot}/wp-settings.php
    pattern: 'new WP_Locale\\(\\);'
    replacement: 'new WP_Locale()'${opts.validate ? `\n    validate: ${JSON.stringify(opts.validate)}` : ''}
verify:
  - name: the site answers 200 with its page
    http: { url: "\${site_url}", status: 200, contains: ${MARKER_TEXT} }
    retries: 1
    delay: 0.5${opts.settle === undefined ? '' : `\n    settle: ${opts.settle}`}
`;
}

/**
 * A header directive from a module the server does not load: \`apache2 -t\` says
 * "Invalid command 'Header'". Validated without %s, so it checks the whole config
 * with the candidate in place, and Apache is to be reloaded only if that passes.
 */
const APACHE_CONF_MANIFEST = `
resources:
  - id: frame-options
    type: line
    path: \${apache_security_conf}
    line: Header always set X-Frame-Options SAMEORIGIN
    validate: [apache2, -f, "\${apache_conf}", -t]
    notify: [apache]
  - id: apache
    type: service
    name: apache2-e2e
    on_refresh: reload
    status_command: [sh, -c, 'kill -0 "$(cat "$1")"', status, "\${apache_pid_file}"]
    reload_command: [apache2, -f, "\${apache_conf}", -k, graceful]
`;

interface Site {
  server: ApacheServer;
  docRoot: string;
  settingsFile: string;
  /** --var pairs pointing php.yml's variables (and the manifests above) at this server. */
  vars: string[];
}

describeWithApache('remedy apply on a real Apache + mod_php (the founding incident)', () => {
  const sites: Site[] = [];
  const dirs: string[] = [];
  const measured: string[] = [];
  let manifestDir = '';

  beforeAll(() => {
    manifestDir = makeTempDir('remedy-e2e-manifests-');
    dirs.push(manifestDir);
  });

  afterEach(stopSites);

  afterAll(async () => {
    await stopSites();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    if (measured.length > 0 && process.env.REMEDY_E2E_SHOW === '1') console.log(`remedy on Apache + mod_php (opcache as shipped):\n  ${measured.join('\n  ')}`);
  });

  async function stopSites(): Promise<void> {
    await Promise.all(sites.map((s) => s.server.stop()));
  }

  async function startSite(opts: { fixed: boolean }): Promise<Site> {
    const docRoot = makeTempDir('remedy-e2e-site-');
    const workDir = makeTempDir('remedy-e2e-apache-');
    dirs.push(docRoot, workDir);
    writeIncidentSite(docRoot, opts);
    const server = await startApache({ docRoot, workDir });
    const vars = {
      docroot: docRoot,
      php_ini: server.phpIni,
      apache_conf: server.configFile,
      apache_security_conf: server.securityConf,
      apache_pid_file: server.pidFile,
      site_url: `${server.url}/`,
    };
    const site = { server, docRoot, settingsFile: path.join(docRoot, SETTINGS_FILE), vars: Object.entries(vars).map(([k, v]) => `${k}=${v}`) };
    sites.push(site);
    return site;
  }

  function writeManifest(name: string, text: string): string {
    const file = path.join(manifestDir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  async function apply(manifest: string, site: Site): Promise<CliRun & { ms: number }> {
    const started = Date.now();
    // --root / manages real paths; the run records (and backups) go to a temp state dir, not this machine's /var/lib/remedy.
    const args = ['apply', manifest, '--root', '/', '--state-dir', path.join(manifestDir, 'state'), '--detailed-exitcodes', '--no-color', '--log-level', 'silent'];
    // A --var must be a variable of the manifest: give each manifest the site's vars it names.
    const text = fs.readFileSync(manifest, 'utf8');
    const vars = site.vars.filter((v) => text.includes(v.slice(0, v.indexOf('='))));
    const run = await runCli([...args, ...vars.flatMap((v) => ['--var', v])]);
    // REMEDY_E2E_SHOW=1 prints every report, to see what a user would.
    if (process.env.REMEDY_E2E_SHOW === '1') console.log(`remedy apply ${path.basename(manifest)}: exit ${run.code}\n${run.stdout}${run.stderr}`);
    return { ...run, ms: Date.now() - started };
  }

  test('1. the fix manifest turns HTTP 500 into 200, reloading Apache once; a second apply changes nothing', async () => {
    const site = await startSite({ fixed: false });
    const { server } = site;
    expect((await server.get('/')).status).toBe(500);
    const pid = server.parentPid();
    const manifest = writeManifest('fix.yml', FIX_MANIFEST);

    const first = await apply(manifest, site);
    measured.push(`fix manifest: first apply ${first.ms} ms (includes the default verify settle)`);
    expect(first).toMatchObject({ code: 2 });
    expect(first.stdout).toMatch(/✓ changed replace\.wp-require-typo/);
    expect(first.stdout).toMatch(/✓ changed service\.apache: refreshed \(notified by wp-require-typo\)/);
    expect(first.stdout).toMatch(/✓ the site answers 200 with its page/);
    const page = await servesTheSite(server);
    expect(page.body).toContain('locale: en_US');
    const fixed = fs.readFileSync(site.settingsFile, 'utf8');
    expect(fixed).toContain(FIXED_REQUIRE);
    expect(fixed).not.toContain(TYPO_REQUIRE);
    // A graceful reload: the same parent, one generation more.
    expect(await eventually(() => server.gracefulRestarts())).toBe(1);
    expect(server.parentPid()).toBe(pid);

    const before = fileState(site.settingsFile);
    const second = await apply(manifest, site);
    measured.push(`fix manifest: second apply ${second.ms} ms (no change, so no verify)`);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain('No changes');
    expect(fileState(site.settingsFile)).toEqual(before);
    expect(server.gracefulRestarts()).toBe(1);
    expect((await server.get('/')).status).toBe(200);
  });

  test('2. a change that breaks the page fails the http verify and is rolled back byte for byte (exit 4)', async () => {
    const site = await startSite({ fixed: true });
    const { server } = site;
    const original = fs.readFileSync(site.settingsFile);
    const originalMode = fs.statSync(site.settingsFile).mode;
    // opcache now holds the working script: the break is hidden until it revalidates.
    expect((await server.get('/')).status).toBe(200);

    const run = await apply(writeManifest('break.yml', breakManifest()), site);
    measured.push(`break without validator: apply + verify + rollback ${run.ms} ms`);
    expect(run).toMatchObject({ code: 4 });
    expect(run.stdout).toMatch(/✗ the site answers 200 with its page \(2 attempts\): GET \S+ answered 500, expected 200/);
    expect(run.stdout).toContain('Rollback:');
    expect(run.stdout).toContain(`restored ${site.settingsFile} (previous bytes)`);
    expect(run.stdout).toContain('the checks pass again: the previous state is back');
    expect(run.stdout).toContain('Apply failed verification and was rolled back');
    // The 500 the verify saw was the real parse error, not something else.
    expect(server.errorLogTail(20)).toMatch(/PHP Parse error: .*wp-settings\.php/);

    expect(fs.readFileSync(site.settingsFile).equals(original)).toBe(true);
    expect(fs.statSync(site.settingsFile).mode).toBe(originalMode);
    expect(leftovers(site.docRoot)).toEqual([]);
    await servesTheSite(server);
  });

  test('2b. why the settle exists: with settle 0 the same verify passes on the code opcache still has', async () => {
    const site = await startSite({ fixed: true });
    const { server } = site;
    expect((await server.get('/')).status).toBe(200);
    // The break shows at the latest 3 s after this request; the apply below takes well under 1 s.
    const run = await apply(writeManifest('break-no-settle.yml', breakManifest({ settle: 0 })), site);
    expect(run).toMatchObject({ code: 2 });
    expect(run.stdout).toMatch(/✓ the site answers 200 with its page/);
    const written = fs.statSync(site.settingsFile).mtimeMs;
    const shown = await eventually(async () => ((await server.get('/')).status === 500 ? Date.now() : undefined), 5_000);
    expect(shown).toBeDefined();
    measured.push(
      `break with settle 0: apply took ${run.ms} ms and its verify passed; the 500 showed ${Math.round(shown! - written)} ms after remedy wrote the file`,
    );
  });

  test('3. with validate: "php -l %s" the same change is refused before the write, the parse error shown', async () => {
    const site = await startSite({ fixed: true });
    const { server } = site;
    const before = fileState(site.settingsFile);
    const entries = fs.readdirSync(site.docRoot).sort();

    const run = await apply(writeManifest('break-validated.yml', breakManifest({ validate: 'php -l %s' })), site);
    expect(run.code).not.toBe(0);
    expect(run).toMatchObject({ code: 4 }); // a failure, not a change
    expect(run.stdout).toContain('validation refused');
    expect(run.stdout).toMatch(/PHP Parse error: {1,2}syntax error/);
    expect(run.stdout).not.toContain('Verify:'); // nothing changed, so nothing to verify or roll back
    expect(fileState(site.settingsFile)).toEqual(before);
    expect(fs.readdirSync(site.docRoot).sort()).toEqual(entries); // php -l's candidate is gone too
    await servesTheSite(server);
  });

  test('4. an Apache config change refused by apache2 -t (no %s) leaves the config byte-identical and Apache serving', async () => {
    const site = await startSite({ fixed: true });
    const { server } = site;
    const original = fs.readFileSync(server.securityConf);
    const serverHeader = (await server.get('/')).headers.server;

    const run = await apply(writeManifest('apache-conf.yml', APACHE_CONF_MANIFEST), site);
    expect(run).toMatchObject({ code: 4 });
    expect(run.stdout).toMatch(/validation refused \S+security\.conf: apache2 -f \S+ -t exited 1/);
    expect(run.stdout).toContain("Invalid command 'Header'");
    expect(run.stdout).toMatch(/- skipped service\.apache: skipped: 'frame-options' failed/);

    expect(fs.readFileSync(server.securityConf).equals(original)).toBe(true);
    expect(leftovers(path.dirname(server.securityConf))).toEqual([]);
    expect(spawnSync(server.configTestArgv[0], server.configTestArgv.slice(1)).status).toBe(0);
    expect(server.gracefulRestarts()).toBe(0);
    const page = await server.get('/');
    expect(page.status).toBe(200);
    expect(page.headers.server).toBe(serverHeader);
  });

  test('5. manifests/php.yml with --var overrides repairs the site and the PHP settings, then is idempotent', async () => {
    const site = await startSite({ fixed: false });
    const { server } = site;
    expect((await server.get('/')).status).toBe(500);
    const probeBefore = await server.get(PROBE_PATH);
    expect(probeBefore.headers.server).toMatch(/^Apache\/2\.4\.\d+ \(/); // ServerTokens OS
    // Debian's php.ini-production as shipped (display_errors, log_errors, expose_php are already right).
    expect(JSON.parse(probeBefore.body)).toMatchObject({ memory_limit: '128M', upload_max_filesize: '2M', post_max_size: '8M' });

    const first = await apply(PHP_MANIFEST, site);
    measured.push(`manifests/php.yml: first apply ${first.ms} ms`);
    expect(first).toMatchObject({ code: 2 });
    expect(first.stdout).toMatch(/✓ changed service\.apache2: refreshed/);
    expect(first.stdout).toMatch(/✓ the site answers 200/);
    await servesTheSite(server);
    // What Apache serves after its reload proves it read the files remedy wrote.
    const probe = await server.get(PROBE_PATH);
    expect(probe.headers['x-powered-by']).toBeUndefined();
    // ServerTokens Prod: Apache re-read security.conf on the reload.
    expect(probe.headers.server).toBe('Apache');
    expect(JSON.parse(probe.body) as RuntimeProbe).toMatchObject({
      php_ini: server.phpIni,
      display_errors: '',
      log_errors: '1',
      expose_php: '',
      memory_limit: '256M',
      upload_max_filesize: '16M',
      post_max_size: '20M',
      date_timezone: 'UTC',
    });
    // PHP 8.2 already defaults date.timezone to UTC, so the file shows this one, not the probe.
    expect(fs.readFileSync(server.phpIni, 'utf8')).toMatch(/^date\.timezone = UTC$/m);
    expect(await eventually(() => server.gracefulRestarts())).toBe(1);

    const files = [site.settingsFile, server.phpIni, server.securityConf];
    const before = files.map(fileState);
    const second = await apply(PHP_MANIFEST, site);
    measured.push(`manifests/php.yml: second apply ${second.ms} ms`);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain('No changes');
    expect(files.map(fileState)).toEqual(before);
    expect(server.gracefulRestarts()).toBe(1);
  });
});

function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755); // Apache's workers run as www-data
  return dir;
}

/** What "untouched" means: same bytes, same inode (not replaced), same mtime. */
function fileState(file: string): { content: string; ino: number; mtimeMs: number } {
  const st = fs.statSync(file);
  return { content: fs.readFileSync(file, 'latin1'), ino: st.ino, mtimeMs: st.mtimeMs };
}

/** Temp files remedy may have left beside its targets (it must leave none). */
function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith('.') || /\.tmp$|remedy/.test(n));
}

/** Polls until `probe` gives a value that is neither undefined nor 0 (a reload is logged a moment after the signal). */
async function eventually<T>(probe: () => T | Promise<T>, timeoutMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if ((value !== undefined && value !== 0) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
