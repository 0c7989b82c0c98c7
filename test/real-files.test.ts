import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTwoFilesPatch, diffLines } from 'diff';
import { runCli } from './helpers/cli';
import { snapshot, tempRoot, type Entry } from './helpers/tree';
import { describeWithRealFiles } from './setup/real-files';

// One manifest fixes Debian's real php.ini-production, apache2.conf and WordPress's
// wp-settings.php (fetched at test setup, see scripts/fetch-real-files.sh) under
// --root. The expected files are the originals with the intended lines substituted
// by hand, so any other byte that moves fails the test.

const PHP_INI = '/etc/php/8.2/apache2/php.ini';
const APACHE_CONF = '/etc/apache2/apache2.conf';
const WP_SETTINGS = '/var/www/html/wp-settings.php';

const BLOCK_ID = 'apache-security-headers';
const BLOCK_LINES = ['<IfModule mod_headers.c>', '\tHeader always set X-Content-Type-Options "nosniff"', '\tHeader always set X-Frame-Options "SAMEORIGIN"', '</IfModule>'];

const MANIFEST = `
vars:
  php_version: "8.2"
  php_ini: /etc/php/\${php_version}/apache2/php.ini
resources:
  - id: wp-require-typo
    type: replace
    path: ${WP_SETTINGS}
    pattern: '\\.phpp\\b'
    replacement: .php
  - id: php-memory-limit
    type: ini
    path: \${php_ini}
    section: PHP
    key: memory_limit
    value: 256M
  # php.ini-production already has Off: On proves the edit lands on the setting,
  # not on the documentation line '; display_errors' far above it.
  - id: php-display-errors
    type: ini
    path: \${php_ini}
    section: PHP
    key: display_errors
    value: "On"
  - id: php-expose-php
    type: ini
    path: \${php_ini}
    section: PHP
    key: expose_php
    value: "Off"
  - id: php-hard-timeout
    type: ini
    path: \${php_ini}
    section: PHP
    key: hard_timeout
    value: "5"
  - id: php-date-timezone
    type: ini
    path: \${php_ini}
    section: Date
    key: date.timezone
    value: UTC
  - id: php-opcache-enable
    type: ini
    path: \${php_ini}
    section: opcache
    key: opcache.enable
    value: "1"
  - id: apache-timeout
    type: line
    path: ${APACHE_CONF}
    line: Timeout 60
    match: '^Timeout\\s'
  - id: ${BLOCK_ID}
    type: block
    path: ${APACHE_CONF}
    content: |
${BLOCK_LINES.map((l) => `      ${l}`).join('\n')}
`;

const RESOURCES = 9;
const IN_SYNC = 1; // php-expose-php

/** Replaces the one line matching `line` (a whole line) by `by`, asserting there is exactly one. */
function substituteLine(text: string, line: RegExp, by: (old: string) => string): string {
  const whole = new RegExp(`^(?:${line.source})$`, 'gm');
  const hits = text.match(whole) ?? [];
  if (hits.length !== 1) throw new Error(`expected exactly one line matching ${whole} in the real file, found ${hits.length}`);
  return text.replace(whole, by);
}

/** The unified diff remedy must show: the same format as the engine's (`diff`, 3 lines of context). */
function expectedDiff(file: string, before: string, after: string): string {
  return createTwoFilesPatch(`a${file}`, `b${file}`, before, after, '', '', { context: 3 }).replace(/^=+\n/, '');
}

/** Lines removed and added by a line diff, in file order. */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    if (part.removed) removed.push(...lines);
    if (part.added) added.push(...lines);
  }
  return { removed, added };
}

describeWithRealFiles(['php.ini-production', 'apache2.conf', 'wp-settings.php'] as const, 'one manifest on real Debian files (php.ini-production, apache2.conf, wp-settings.php)', (real) => {
  let root: string;
  let manifest: string;
  const original: Record<string, string> = {};
  const expected: Record<string, string> = {};
  const modes: Record<string, number> = {};
  let oldMemoryLimit: string;
  let oldTimeout: string;
  const host = (file: string) => path.join(root, file);
  const read = (file: string) => fs.readFileSync(host(file), 'latin1');
  const cli = (command: string, ...extra: string[]) => runCli([command, manifest, '--root', root, '--detailed-exitcodes', '--no-color', ...extra]);

  beforeAll(() => {
    root = tempRoot('remedy-real-');
    const put = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(host(file)), { recursive: true });
      fs.writeFileSync(host(file), text, { encoding: 'latin1', mode: 0o644 });
      // Back-date the files so a rewrite shows in the mtime even within one clock tick.
      fs.utimesSync(host(file), new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
      original[file] = text;
      modes[file] = fs.statSync(host(file)).mode;
    };
    const wp = fs.readFileSync(real['wp-settings.php'], 'latin1');
    // The incident's typo, introduced into the copy: only this require, not class-wp-locale-switcher.php.
    put(WP_SETTINGS, substituteLine(wp, /require_once ABSPATH \. WPINC \. '\/class-wp-locale\.php';/, (l) => l.replace('.php', '.phpp')));
    put(PHP_INI, fs.readFileSync(real['php.ini-production'], 'latin1'));
    put(APACHE_CONF, fs.readFileSync(real['apache2.conf'], 'latin1'));

    let php = original[PHP_INI];
    php = substituteLine(php, /memory_limit = .*/, (l) => ((oldMemoryLimit = l), 'memory_limit = 256M'));
    php = substituteLine(php, /display_errors = Off/, () => 'display_errors = On');
    php = substituteLine(php, /default_socket_timeout = .*/, (l) => `${l}\nhard_timeout = 5`);
    php = substituteLine(php, /;date\.timezone =/, () => 'date.timezone = UTC');
    php = substituteLine(php, /;opcache\.enable=1/, () => 'opcache.enable=1');
    expected[PHP_INI] = php;

    let apache = original[APACHE_CONF];
    apache = substituteLine(apache, /Timeout .*/, (l) => ((oldTimeout = l), 'Timeout 60'));
    if (!apache.endsWith('\n')) throw new Error('apache2.conf is expected to end with a newline');
    apache += [`# BEGIN REMEDY MANAGED BLOCK ${BLOCK_ID}`, ...BLOCK_LINES, `# END REMEDY MANAGED BLOCK ${BLOCK_ID}`].join('\n') + '\n';
    expected[APACHE_CONF] = apache;

    expected[WP_SETTINGS] = substituteLine(original[WP_SETTINGS], /require_once ABSPATH \. WPINC \. '\/class-wp-locale\.phpp';/, (l) => l.replace('.phpp', '.php'));

    manifest = path.join(root, '..', `${path.basename(root)}.yml`);
    fs.writeFileSync(manifest, MANIFEST);
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(manifest, { force: true });
  });

  test('the hand-made expectation changes only the intended lines (checks the test itself)', () => {
    expect(oldMemoryLimit).not.toBe('memory_limit = 256M');
    expect(oldTimeout).not.toBe('Timeout 60');
    expect(changedLines(original[PHP_INI], expected[PHP_INI])).toEqual({
      removed: [oldMemoryLimit, 'display_errors = Off', ';date.timezone =', ';opcache.enable=1'],
      added: ['memory_limit = 256M', 'display_errors = On', 'hard_timeout = 5', 'date.timezone = UTC', 'opcache.enable=1'],
    });
  });

  test('plan exits 2, shows exactly the diff of each file, and writes nothing', async () => {
    const before = snapshot(root);
    const run = await cli('plan');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    for (const file of [WP_SETTINGS, PHP_INI, APACHE_CONF]) expect(run.stdout).toContain(expectedDiff(file, original[file], expected[file]));
    expect(run.stdout).toContain(`Plan: ${RESOURCES - IN_SYNC} to change, ${IN_SYNC} unchanged; 3 file(s), 0 command(s).`);
    for (const id of ['wp-require-typo', 'php-memory-limit', 'php-display-errors', 'php-hard-timeout', 'php-date-timezone', 'php-opcache-enable', 'apache-timeout', BLOCK_ID]) expect(run.stdout).toContain(id);
    expect(snapshot(root)).toEqual(before);
  });

  test('plan --format json has the same diffs, one per file, and writes nothing', async () => {
    const before = snapshot(root);
    const run = await cli('plan', '--format', 'json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout);
    expect(doc.summary).toEqual({ resources: RESOURCES, changed: RESOURCES - IN_SYNC, unchanged: IN_SYNC, files: 3, commands: 0 });
    const diffs = Object.fromEntries(doc.files.map((f: { path: string; diff: string }) => [f.path, f.diff]));
    expect(diffs).toEqual(Object.fromEntries([WP_SETTINGS, PHP_INI, APACHE_CONF].map((f) => [f, expectedDiff(f, original[f], expected[f])])));
    expect(doc.resources.find((r: { id: string }) => r.id === 'php-expose-php')).toMatchObject({ changed: false, action: 'none' });
    expect(snapshot(root)).toEqual(before);
  });

  test('apply exits 2 and changes exactly the intended lines, nothing else, byte for byte', async () => {
    const before = snapshot(root);
    const run = await cli('apply');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`Apply complete: ${RESOURCES - IN_SYNC} changed, 0 failed, ${IN_SYNC} unchanged.`);

    expect(changedLines(original[PHP_INI], read(PHP_INI))).toEqual({
      removed: [oldMemoryLimit, 'display_errors = Off', ';date.timezone =', ';opcache.enable=1'],
      added: ['memory_limit = 256M', 'display_errors = On', 'hard_timeout = 5', 'date.timezone = UTC', 'opcache.enable=1'],
    });
    expect(changedLines(original[APACHE_CONF], read(APACHE_CONF))).toEqual({
      removed: [oldTimeout],
      added: ['Timeout 60', `# BEGIN REMEDY MANAGED BLOCK ${BLOCK_ID}`, ...BLOCK_LINES, `# END REMEDY MANAGED BLOCK ${BLOCK_ID}`],
    });
    expect(changedLines(original[WP_SETTINGS], read(WP_SETTINGS))).toEqual({
      removed: ["require_once ABSPATH . WPINC . '/class-wp-locale.phpp';"],
      added: ["require_once ABSPATH . WPINC . '/class-wp-locale.php';"],
    });
    for (const file of [PHP_INI, APACHE_CONF, WP_SETTINGS]) {
      expect(fs.readFileSync(host(file))).toEqual(Buffer.from(expected[file], 'latin1'));
      expect(fs.statSync(host(file)).mode).toBe(modes[file]);
    }
    // The same paths as before (no temp file or backup left beside the files), each rewritten.
    const after = snapshot(root);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const file of [PHP_INI, APACHE_CONF, WP_SETTINGS]) expect(after.get(file.slice(1))!.mtimeMs).not.toBe(before.get(file.slice(1))!.mtimeMs);
  });

  test('the second plan and apply exit 0 and touch nothing (same bytes, same mtimes)', async () => {
    const applied = snapshot(root);
    const plan = await cli('plan');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`No changes: ${RESOURCES} resource(s) in sync.`);
    const apply = await cli('apply');
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    const again: Map<string, Entry> = snapshot(root);
    expect(again).toEqual(applied);
  });
});
