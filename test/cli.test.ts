import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPackage } from './helpers/built-package';
import { contents, copyTree, snapshot, tempRoot } from './helpers/tree';

// The shipped binary, built as `npm run build` builds it into a private folder (so that
// this test never races another build of the work tree), in the layout an installed
// package has. Every test spawns `node bin/remedy.js` as a user or a CI job would.

const repo = path.join(__dirname, '..');
const VERSION: string = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
const ANSI = /\u001b\[[0-9;]*m/;
const STACK = /\n\s+at .+:\d+:\d+\)?\n/;

let pkg: string; // the installed-package layout: bin/, dist/, package.json, node_modules
let work: string; // manifests and --root trees of the tests

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extra };
  for (const name of ['NO_COLOR', 'FORCE_COLOR', 'CI']) if (!(name in extra)) delete env[name];
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

/** Runs `file args` to its end with pipes (stdin closed), capturing stdout, stderr and the exit code. */
function spawnToEnd(file: string, args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: work, env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** `node bin/remedy.js ARGS`, as a user or a CI job runs it (stdout and stderr are pipes). */
function remedy(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return spawnToEnd(process.execPath, [path.join(pkg, 'bin', 'remedy.js'), ...args], env);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Like remedy(), but stdout and stderr are a terminal (util-linux `script`), where colour is allowed. */
function remedyOnTty(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const command = [process.execPath, path.join(pkg, 'bin', 'remedy.js'), ...args].map(shellQuote).join(' ');
  return spawnToEnd('script', ['-qec', command, '/dev/null'], env);
}

/** Writes files (path -> content) below `dir`. */
function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
}

let caseNo = 0;
/** A fresh --root holding `files`, and a manifest file with `manifest` as its text. */
function setup(manifest: string, files: Record<string, string>): { root: string; manifest: string } {
  const dir = path.join(work, `case-${++caseNo}`);
  const root = path.join(dir, 'root');
  fs.mkdirSync(root, { recursive: true });
  writeTree(root, files);
  fs.writeFileSync(path.join(dir, 'manifest.yml'), manifest);
  return { root, manifest: path.join(dir, 'manifest.yml') };
}

const PHP_INI = '[PHP]\nmemory_limit = 128M\ndisplay_errors = Off\n';
const MEMORY_MANIFEST = `resources:
  - id: memory
    type: ini
    path: /etc/php.ini
    section: PHP
    key: memory_limit
    value: 256M
`;

beforeAll(() => {
  pkg = tempRoot('remedy-pkg-');
  work = tempRoot('remedy-cli-');
  buildPackage(pkg);
}, 120000);

afterAll(() => {
  for (const dir of [pkg, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the shipped binary', () => {
  test('--version and -V print the package version, alone, and exit 0', async () => {
    const runs = await Promise.all(['--version', '-V'].map((flag) => remedy([flag])));
    for (const run of runs) expect(run).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  test('--help lists the commands and exits 0', async () => {
    const run = await remedy(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['plan', 'apply', 'validate', 'schema']) expect(run.stdout).toContain(command);
  });

  test('plan and apply a fixture case (replace/wp-settings-locale-typo) under --root', async () => {
    const fixture = path.join(repo, 'test', 'fixtures', 'replace', 'wp-settings-locale-typo');
    const root = path.join(work, 'fixture-root');
    copyTree(path.join(fixture, 'before'), root);
    const before = snapshot(root);
    const args = (command: string) => [command, path.join(fixture, 'manifest.yml'), '--root', root, '--no-color', '--detailed-exitcodes'];
    const plan = await remedy(args('plan'));
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('--- a/var/www/html/wp-settings.php\n+++ b/var/www/html/wp-settings.php\n');
    expect(plan.stdout).toContain("-require_once ABSPATH . WPINC . '/class-wp-locale.phpp';\n+require_once ABSPATH . WPINC . '/class-wp-locale.php';\n");
    expect(snapshot(root)).toEqual(before);
    expect((await remedy(args('apply'))).code).toBe(2);
    expect(contents(snapshot(root))).toEqual(contents(snapshot(path.join(fixture, 'after'))));
    expect((await remedy(args('plan'))).code).toBe(0);
  });

  test('runs as one bundle, compiled from a code cache that V8 accepts, requiring no module of dist/ or node_modules one by one', () => {
    const start = path.join(pkg, 'dist', 'cli', 'start.js');
    const probe = `
      const fs = require('node:fs');
      const { loadBundle } = require(${JSON.stringify(start)});
      const { cli, cacheRejected } = loadBundle(fs.readFileSync(${JSON.stringify(path.join(pkg, 'dist', 'remedy.js.cache'))}));
      cli.main(['node', 'remedy', 'plan', ${JSON.stringify(path.join(repo, 'examples', 'incident.yml'))}, '--root', ${JSON.stringify(path.join(repo, 'examples', 'incident'))}]).then(() => {
        const required = Object.keys(require.cache).filter((file) => file !== ${JSON.stringify(start)});
        process.stderr.write(JSON.stringify({ cacheRejected, required }));
      });`;
    const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stderr)).toEqual({ cacheRejected: false, required: [] });
  });

  test('schema prints the committed JSON Schema', async () => {
    const run = await remedy(['schema']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(fs.readFileSync(path.join(repo, 'schema', 'manifest.schema.json'), 'utf8'));
  });
});

describe('exit codes', () => {
  // Two files: php.ini's change is refused by its validator (a failure), motd's succeeds.
  const FAILING_MANIFEST = `${MEMORY_MANIFEST}    validate: [sh, -c, 'echo "line 2: refused by the validator" >&2; exit 3', validator, '%s']
  - id: motd
    type: line
    path: /etc/motd
    line: Managed by remedy
`;

  test('a change: plan and apply exit 0 without --detailed-exitcodes, 2 with it; once in sync, 0 either way', async () => {
    // Both variants at once, each on its own tree: [plan, apply, plan, apply] exit codes.
    const sequence = async (flags: string[]) => {
      const { root, manifest } = setup(MEMORY_MANIFEST, { 'etc/php.ini': PHP_INI });
      const codes: (number | null)[] = [];
      for (const command of ['plan', 'apply', 'plan', 'apply']) codes.push((await remedy([command, manifest, '--root', root, '--no-color', ...flags])).code);
      expect(fs.readFileSync(path.join(root, 'etc/php.ini'), 'utf8')).toBe('[PHP]\nmemory_limit = 256M\ndisplay_errors = Off\n');
      return codes;
    };
    const [plain, detailed] = await Promise.all([sequence([]), sequence(['--detailed-exitcodes'])]);
    expect(plain).toEqual([0, 0, 0, 0]);
    expect(detailed).toEqual([2, 2, 0, 0]);
  });

  test('a failed resource: 1 without the flag; 4 with it; 6 when another resource changed', async () => {
    const failing = () => setup(FAILING_MANIFEST.split('  - id: motd')[0], { 'etc/php.ini': PHP_INI });
    const mixed = () => setup(FAILING_MANIFEST, { 'etc/php.ini': PHP_INI, 'etc/motd': 'Welcome\n' });

    const [a, b, c] = [failing(), failing(), mixed()];
    const [plain, plan, detailed, both] = await Promise.all([
      remedy(['apply', a.manifest, '--root', a.root, '--no-color']),
      remedy(['plan', b.manifest, '--root', b.root, '--detailed-exitcodes']),
      remedy(['apply', b.manifest, '--root', b.root, '--detailed-exitcodes']),
      remedy(['apply', c.manifest, '--root', c.root, '--detailed-exitcodes']),
    ]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('refused by the validator');
    expect(plan.code).toBe(1); // plan runs the validator on the candidate: a dry run says what apply refuses
    expect(plan.stderr).toContain('validation refuses the planned /etc/php.ini');
    expect(detailed.code).toBe(4);
    expect(both.code).toBe(6);
    for (const t of [a, b, c]) expect(fs.readFileSync(path.join(t.root, 'etc/php.ini'), 'utf8')).toBe(PHP_INI);
    expect(fs.readFileSync(path.join(c.root, 'etc/motd'), 'utf8')).toBe('Welcome\nManaged by remedy\n');
  });

  test.each([[[]], [['--detailed-exitcodes']]])('a manifest error is 1 (flags %j), with a located message, no stack, nothing written', async (flags) => {
    const { root, manifest } = setup(MEMORY_MANIFEST.replace('type: ini', 'type: inii'), { 'etc/php.ini': PHP_INI });
    const before = snapshot(root);
    for (const run of await Promise.all(['plan', 'apply'].map((command) => remedy([command, manifest, '--root', root, '--no-color', ...flags])))) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain("manifest.yml:3:11: error: [memory] 'type' must be one of");
      expect(run.stderr).not.toMatch(STACK);
    }
    expect(snapshot(root)).toEqual(before);
  });

  test.each([
    ['an unknown command', ['deploy', 'x.yml'], /unknown command 'deploy'/],
    ['an unknown option', ['plan', 'x.yml', '--bogus'], /unknown option '--bogus'/],
    ['a missing argument', ['plan'], /missing required argument 'manifest'/],
    ['a bad --format', ['plan', 'x.yml', '--format', 'xml'], /--format xml is not known/],
    ['a bad --log-level', ['apply', 'x.yml', '--log-level', 'loud'], /argument 'loud' is invalid\. Allowed choices are debug, info, warn, error, silent/],
    ['a missing manifest file', ['plan', 'no-such-manifest.yml', '--root', '.'], /no-such-manifest\.yml/],
  ])('%s: exit 1, a message on stderr, no stack trace', async (_what, args, message) => {
    const runs = await Promise.all([remedy(args), remedy(args.length > 1 ? [...args, '--detailed-exitcodes'] : args)]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(STACK);
      expect(run.stderr).not.toMatch(/internal error/);
    }
  });
});

describe('report formats', () => {
  test('--format json: one JSON document, formatVersion 1, none of the internal fields', async () => {
    const { root, manifest } = setup(MEMORY_MANIFEST, { 'etc/php.ini': PHP_INI });
    for (const command of ['plan', 'apply']) {
      const run = await remedy([command, manifest, '--root', root, '--format', 'json', '--detailed-exitcodes']);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe('');
      const doc = JSON.parse(run.stdout);
      expect(doc).toMatchObject({ formatVersion: 1, remedy: VERSION, command, root, summary: { changed: 1, files: 1 } });
      expect(doc.files[0]).toMatchObject({ path: '/etc/php.ini', action: 'update', diff: expect.stringContaining('+memory_limit = 256M') });
      const keys = allKeys(doc);
      for (const internal of ['wanted', 'current', 'host']) expect(keys).not.toContain(internal);
      if (command === 'apply') expect(doc.result).toMatchObject({ changed: 1, failed: 0, written: ['/etc/php.ini'] });
    }
  });

  test('a manifest error with --format json: the diagnostics as JSON on stdout, the message on stderr', async () => {
    const { root, manifest } = setup(MEMORY_MANIFEST.replace('value: 256M', 'vaule: 256M'), { 'etc/php.ini': PHP_INI });
    const run = await remedy(['plan', manifest, '--root', root, '--format', 'json']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.formatVersion).toBe(1);
    expect(doc.diagnostics[0]).toMatchObject({ severity: 'error', resourceId: 'memory', summary: expect.stringContaining('vaule') });
    expect(run.stderr).toContain('vaule');
  });

  test('no ANSI escapes on a pipe, with NO_COLOR or with --no-color', async () => {
    const { root, manifest } = setup(MEMORY_MANIFEST, { 'etc/php.ini': PHP_INI });
    const args = ['plan', manifest, '--root', root];
    for (const run of await Promise.all([remedy(args), remedy(args, { NO_COLOR: '1' }), remedy([...args, '--no-color'])])) {
      expect(run.stdout).toContain('+memory_limit = 256M');
      expect(run.stdout).not.toMatch(ANSI);
    }
  });

  (hasScript ? test : test.skip)('on a terminal: colour by default; none with NO_COLOR (even empty), --no-color or TERM=dumb', async () => {
    const { root, manifest } = setup(MEMORY_MANIFEST, { 'etc/php.ini': PHP_INI });
    const args = ['plan', manifest, '--root', root];
    const bad = setup(MEMORY_MANIFEST.replace('value: 256M', 'vaule: 256M'), {});
    const [coloured, badColoured, badPlain, ...plain] = await Promise.all([
      remedyOnTty(args),
      remedyOnTty(['plan', bad.manifest, '--root', bad.root]),
      remedyOnTty(['plan', bad.manifest, '--root', bad.root, '--no-color']),
      remedyOnTty(args, { NO_COLOR: '1' }),
      remedyOnTty(args, { NO_COLOR: '' }),
      remedyOnTty([...args, '--no-color']),
      remedyOnTty(args, { TERM: 'dumb' }),
    ]);
    expect(coloured.code).toBe(0);
    expect(coloured.stdout).toContain('memory_limit = 256M');
    expect(coloured.stdout).toMatch(ANSI); // the control: a terminal does get colour
    for (const run of plain) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('+memory_limit = 256M');
      expect(run.stdout).not.toMatch(ANSI);
    }
    // Diagnostics (stderr, here on the same terminal) follow the same rule.
    expect(badColoured.code).toBe(1);
    expect(badColoured.stdout).toMatch(ANSI);
    expect(badPlain.stdout).toContain('vaule');
    expect(badPlain.stdout).not.toMatch(ANSI);
  });
});

describe('logs', () => {
  const isPinoLine = (line: string) => {
    const entry = JSON.parse(line);
    return typeof entry.level === 'number' && typeof entry.time === 'number' && typeof entry.msg === 'string';
  };

  test('--log-level debug: pino JSON lines on stderr, stdout is the report only', async () => {
    const { root, manifest } = setup(MEMORY_MANIFEST, { 'etc/php.ini': PHP_INI });
    for (const command of ['plan', 'apply']) {
      const json = await remedy([command, manifest, '--root', root, '--format', 'json', '--log-level', 'debug']);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout).command).toBe(command); // one document, no log line mixed in
      const lines = json.stderr.split('\n').filter((l) => l !== '');
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every(isPinoLine)).toBe(true);
    }
    const human = await remedy(['plan', manifest, '--root', root, '--no-color', '--log-level', 'debug']);
    expect(human.stdout).toContain('No changes');
    expect(human.stdout).not.toMatch(/"level":/);
    expect(human.stderr).toMatch(/"level":/);
  });

  test('--log-file: the logs go to the file, stderr stays empty, stdout is the report', async () => {
    const { root, manifest } = setup(MEMORY_MANIFEST, { 'etc/php.ini': PHP_INI });
    const logFile = path.join(path.dirname(manifest), 'logs', 'remedy.log');
    const run = await remedy(['apply', manifest, '--root', root, '--no-color', '--log-level', 'debug', '--log-file', logFile]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Apply complete');
    expect(run.stdout).not.toMatch(/"level":/);
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every(isPinoLine)).toBe(true);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(expect.arrayContaining(['planned', 'apply done']));
  });

  test('a --log-file that cannot be written is a usage error before anything is changed', async () => {
    const { root, manifest } = setup(MEMORY_MANIFEST, { 'etc/php.ini': PHP_INI });
    const before = snapshot(root);
    // At the default level nothing is logged on success: the file must be checked up front,
    // not when the first warning comes, possibly after the writes.
    const runs = await Promise.all(['warn', 'debug'].map((level) => remedy(['apply', manifest, '--root', root, '--no-color', '--detailed-exitcodes', '--log-level', level, '--log-file', '/dev/null/remedy.log'])));
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('--log-file /dev/null/remedy.log cannot be written');
      expect(run.stderr).not.toMatch(/internal error/);
      expect(run.stderr).not.toMatch(STACK);
    }
    expect(snapshot(root)).toEqual(before);
  });

  test('the default level logs nothing on a successful run', async () => {
    const { root, manifest } = setup(MEMORY_MANIFEST, { 'etc/php.ini': PHP_INI });
    const run = await remedy(['apply', manifest, '--root', root, '--no-color']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });
});

describe('sensitive resources', () => {
  const OLD_SECRET = 'Old-Secret-4a7f19';
  const SECRET = 'New-Secret-9c2e55';
  const SECRET_MANIFEST = `vars:
  db_password: ${SECRET}
resources:
  - id: memory
    type: ini
    path: /etc/app.ini
    section: db
    key: memory
    value: 256M
  - id: db-password
    type: ini
    path: /etc/app.ini
    section: db
    key: password
    value: \${db_password}
    sensitive: true
  - id: token
    type: line
    path: /etc/token.conf
    line: token=\${db_password}
    match: '^token='
    sensitive: true
`;
  const FILES = { 'etc/app.ini': `[db]\nmemory = 128M\npassword = ${OLD_SECRET}\n`, 'etc/token.conf': `# token\ntoken=${OLD_SECRET}\n` };

  test('neither the old nor the new secret appears in plan or apply output, human or JSON, or in the logs', async () => {
    const { root, manifest } = setup(SECRET_MANIFEST, FILES);
    const logFile = path.join(path.dirname(manifest), 'remedy.log');
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const r = await remedy([...args, '--root', root, '--no-color', '--detailed-exitcodes', '--log-level', 'debug', '--log-file', logFile]);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const plans = await Promise.all([run(['plan', manifest, '-v']), run(['plan', manifest, '--format', 'json'])]);
    expect(plans.map((p) => p.code)).toEqual([2, 2]);
    expect(plans[0].stdout).toContain('(sensitive: hidden)');
    expect((await run(['apply', manifest, '--format', 'json'])).code).toBe(2);
    fs.writeFileSync(path.join(root, 'etc/app.ini'), FILES['etc/app.ini']); // changed back: apply again, human
    fs.writeFileSync(path.join(root, 'etc/token.conf'), FILES['etc/token.conf']);
    expect((await run(['apply', manifest])).code).toBe(2);
    expect((await run(['plan', manifest, '-v'])).code).toBe(0);
    expect((await run(['apply', manifest, '-v', '--format', 'json'])).code).toBe(0);
    outputs.push(fs.readFileSync(logFile, 'utf8'));

    // The run did set the secret; it just never showed it.
    expect(fs.readFileSync(path.join(root, 'etc/app.ini'), 'utf8')).toBe(`[db]\nmemory = 256M\npassword = ${SECRET}\n`);
    expect(fs.readFileSync(path.join(root, 'etc/token.conf'), 'utf8')).toBe(`# token\ntoken=${SECRET}\n`);
    const all = outputs.join('\n');
    expect(all).toContain('memory'); // the outputs are real reports
    for (const secret of [SECRET, OLD_SECRET, SECRET.slice(4), OLD_SECRET.slice(4)]) expect(all).not.toContain(secret);
  });

  test('a sensitive exec: neither its command line nor its output is shown', async () => {
    const manifest = `vars:
  db_password: ${SECRET}
resources:
  - id: rotate
    type: exec
    command: [sh, -c, 'echo "rotated to $1"; echo "warning: $1 is weak" >&2', rotate, '\${db_password}']
    sensitive: true
`;
    const { root, manifest: file } = setup(manifest, {});
    const logFile = path.join(path.dirname(file), 'remedy.log');
    const outputs: string[] = [];
    // The exec runs on every apply (no guard), so all four runs are independent; the two
    // applies share the run lock, so the second waits for the first.
    const runs = await Promise.all(
      ['plan', 'apply'].flatMap((command) =>
        ['human', 'json'].map((format) => remedy([command, file, '--root', root, '--no-color', '--detailed-exitcodes', '--format', format, '-v', '--log-level', 'debug', '--log-file', logFile, ...(command === 'apply' ? ['--wait', '30'] : [])])),
      ),
    );
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stdout).toContain('rotate');
      outputs.push(run.stdout, run.stderr);
    }
    outputs.push(fs.readFileSync(logFile, 'utf8'));
    const all = outputs.join('\n');
    expect(all).toContain('(sensitive: hidden)');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('rotated to');
  });

  test('a refused validator that prints the candidate file does not leak it, even when the failure is reported on a non-sensitive resource of that file', async () => {
    // The validator is on `memory` (first on the path, so the file's outcome is reported on it),
    // and it quotes the candidate, as `apache2ctl -t` quotes a bad line.
    const manifest = SECRET_MANIFEST.replace('    value: 256M\n', `    value: 256M\n    validate: [sh, -c, 'grep -n password "$1" >&2; exit 1', validator, '%s']\n`);
    const { root, manifest: file } = setup(manifest, FILES);
    const logFile = path.join(path.dirname(file), 'remedy.log');
    const outputs: string[] = [];
    for (const format of ['human', 'json']) {
      const run = await remedy(['apply', file, '--root', root, '--no-color', '--detailed-exitcodes', '--format', format, '--log-level', 'debug', '--log-file', logFile]);
      expect(run.code).toBe(6); // token.conf changed, app.ini refused
      expect(run.stdout).toContain('validation refused /etc/app.ini');
      outputs.push(run.stdout, run.stderr);
      fs.writeFileSync(path.join(root, 'etc/token.conf'), FILES['etc/token.conf']);
    }
    outputs.push(fs.readFileSync(logFile, 'utf8'));
    expect(fs.readFileSync(path.join(root, 'etc/app.ini'), 'utf8')).toBe(FILES['etc/app.ini']);
    const all = outputs.join('\n');
    expect(all).toContain('(sensitive: hidden)');
    for (const secret of [SECRET, OLD_SECRET]) expect(all).not.toContain(secret);
  });
});

function allKeys(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) allKeys(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      allKeys(v, out);
    }
  }
  return out;
}
