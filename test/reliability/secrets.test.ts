import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, type CliRun } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

// A `sensitive` resource's content never shows: not in the human, JSON or markdown
// report, not in the debug logs or metrics, not in a run record, `remedy history` or a
// rollback's report, not in an error message, of any text kind or the file kind.

const SECRET = `S3CRET-${randomBytes(8).toString('hex')}`;

const TREE: Record<string, string> = {
  'etc/app.ini': '[db]\npassword = old-password\n',
  'etc/app.conf': 'listen 80\ntoken old-token\n',
  'etc/block.conf': 'server {\n}\n',
  'etc/api.env': 'api_key=old-key\n',
  'etc/tokens': 'old tokens\n',
};

const SENSITIVE = `
vars:
  secret: ${SECRET}
resources:
  - id: db-password
    type: ini
    path: /etc/app.ini
    section: db
    key: password
    value: \${secret}
    sensitive: true
  - id: token
    type: line
    path: /etc/app.conf
    match: ^token
    line: token \${secret}
    sensitive: true
  - id: block
    type: block
    path: /etc/block.conf
    content: |
      key = \${secret}
    sensitive: true
  - id: api-key
    type: replace
    path: /etc/api.env
    pattern: ^api_key=.*$
    replacement: api_key=\${secret}
    sensitive: true
  - id: tokens
    type: file
    path: /etc/tokens
    content: "\${secret}\\n"
    sensitive: true
`;

let work: string;
let root: string;
let manifest: string;
let logFile: string;
/** Everything the runs printed or wrote where a person or a log shipper reads it. */
let shown: string[];

beforeEach(() => {
  work = tempRoot('remedy-secrets-');
  root = path.join(work, 'root');
  for (const [rel, content] of Object.entries(TREE)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  manifest = path.join(work, 'manifest.yml');
  logFile = path.join(work, 'remedy.log');
  shown = [];
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

async function remedy(args: string[]): Promise<CliRun> {
  const run = await runCli([...args, '--no-color']);
  shown.push(run.stdout, run.stderr);
  return run;
}

/** `command` on the manifest, logging everything at debug level to the log file. */
function run(command: string, ...extra: string[]): Promise<CliRun> {
  return remedy([command, manifest, '--root', root, '--detailed-exitcodes', '--log-level', 'debug', '--log-file', logFile, ...extra]);
}

/** The state dir's run records and every other text file it holds except the backups (which must keep the old bytes). */
function stateFiles(): string[] {
  const dir = path.join(root, 'var/lib/remedy');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => !rel.startsWith('backups') && fs.statSync(path.join(dir, rel)).isFile())
    .map((rel) => `${rel}:\n${fs.readFileSync(path.join(dir, rel), 'utf8')}`);
}

function expectNoSecretShown(): void {
  const everything = [...shown, fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '', ...stateFiles()];
  for (const text of everything) expect(text).not.toContain(SECRET);
}

test('plan, apply, history and rollback in every format: the secret is written to the files and shown nowhere', async () => {
  fs.writeFileSync(manifest, SENSITIVE);
  for (const format of ['human', 'json', 'markdown']) expect((await run('plan', '--format', format, '--verbose')).code).toBe(2);
  const metrics = path.join(work, 'metrics.prom');
  const applied = await run('apply', '--format', 'json', '--metrics-file', metrics);
  expect(applied.code).toBe(2);
  shown.push(fs.readFileSync(metrics, 'utf8'));
  for (const rel of Object.keys(TREE)) expect(fs.readFileSync(path.join(root, rel), 'utf8')).toContain(SECRET);
  for (const format of ['human', 'json', 'markdown']) expect((await run('apply', '--format', format, '--verbose')).code).toBe(0);
  for (const format of ['human', 'json']) expect((await remedy(['history', '--root', root, '--format', format])).code).toBe(0);
  const runId = (JSON.parse(applied.stdout) as { result: { runId?: string } }).result.runId;
  expect(runId).toBeDefined();
  for (const format of ['json', 'human']) await remedy(['rollback', runId!, '--root', root, '--format', format, '--force']);
  expect(fs.readFileSync(path.join(root, 'etc/tokens'), 'utf8')).toBe(TREE['etc/tokens']);
  expectNoSecretShown();
});

const sensitiveResource = (fields: string) => `resources:\n  - id: secret\n    sensitive: true\n${fields.replace(/^/gm, '    ')}\n`;

test.each([
  ['a line that its own match does not find', `type: line\npath: /etc/app.conf\nmatch: ^nomatch\nline: token ${SECRET}`],
  ['an ini value with a space at its end', `type: ini\npath: /etc/app.ini\nsection: db\nkey: password\nvalue: "${SECRET} "`],
  ['a replace whose pattern matches its replacement', `type: replace\npath: /etc/api.env\npattern: ${SECRET}\nreplacement: ${SECRET}-again`],
  ['backrefs that would never converge', `type: line\npath: /etc/app.conf\nmatch: ^token (.*)$\nline: token \\1${SECRET}\nbackrefs: true`],
  ['a block whose content repeats its marker', `type: block\npath: /etc/block.conf\nmarker: "# {mark} ${SECRET}"\ncontent: "# END ${SECRET}\\n"`],
  ['a regex that does not compile', `type: replace\npath: /etc/api.env\npattern: "${SECRET}("\nreplacement: x`],
  ['a wrong type next to the secret', `type: ini\npath: /etc/app.ini\nsection: db\nkey: password\nvalue: ${SECRET}\ncreate: "${SECRET}"`],
  ['a validator that prints the candidate and refuses it', `type: ini\npath: /etc/app.ini\nsection: db\nkey: password\nvalue: ${SECRET}\nvalidate: [sh, -c, 'cat "$1"; echo "$1 refused" >&2; exit 1', validator, '%s']`],
])('an error about %s does not show the secret', async (_name, fields) => {
  fs.writeFileSync(manifest, sensitiveResource(fields));
  for (const format of ['human', 'json', 'markdown']) {
    const [planned, applied] = [await run('plan', '--format', format), await run('apply', '--format', format)];
    expect([planned.code, applied.code]).not.toContain(0);
  }
  expectNoSecretShown();
});

test('a resource that quotes a line a sensitive one wrote to the same file does not show the secret', async () => {
  const neighbour = `  - id: neighbour\n    type: replace\n    path: /etc/app.conf\n    pattern: ^(token .*)$\n    replacement: \\1x\n`;
  fs.writeFileSync(manifest, `${sensitiveResource(`type: line\npath: /etc/app.conf\nmatch: ^token\nline: token ${SECRET}`)}${neighbour}`);
  const planned = await run('plan');
  expect(planned.code).toBe(1);
  expect(planned.stderr).toContain('[neighbour] pattern still matches its own replacement');
  expectNoSecretShown();
});

test('the same, when the neighbour names the file through a symbolic link', async () => {
  fs.symlinkSync('app.conf', path.join(root, 'etc/app-link.conf'));
  const neighbour = `  - id: neighbour\n    type: replace\n    path: /etc/app-link.conf\n    pattern: ^(token .*)$\n    replacement: \\1x\n`;
  fs.writeFileSync(manifest, `${sensitiveResource(`type: line\npath: /etc/app.conf\nmatch: ^token\nline: token ${SECRET}`)}${neighbour}`);
  const planned = await run('plan');
  expect(planned.code).toBe(1);
  expect(planned.stderr).toContain('[neighbour] pattern still matches its own replacement');
  expectNoSecretShown();
});

test('two sensitive resources that fight: the refusal does not show the secret', async () => {
  const fight = `type: line\npath: /etc/app.conf\nline: token ${SECRET}`;
  fs.writeFileSync(manifest, `${sensitiveResource(fight)}  - id: undo\n    type: line\n    path: /etc/app.conf\n    match: ^token\n    ensure: absent\n    sensitive: true\n`);
  expect((await run('plan')).code).toBe(1);
  expectNoSecretShown();
});
