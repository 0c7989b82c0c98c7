import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

// With a sensitive resource in the run, no report shows what a failing verify command
// printed (it may dump the secret file), and no JSON plan carries the sensitive file's
// sha256 or size (a short secret such as a PIN is recovered from its hash). The secret is
// a string no timestamp or run id can hold by chance (a 4-digit PIN matched a run id once).

const SECRET = 'PIN=secret-pin-Zq9xW';
let dir: string;
let root: string;
beforeEach(() => {
  dir = tempRoot('remedy-sensitive-verify-');
  root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/app.env'), 'PIN=0000\n');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function manifest(verify: boolean): string {
  const file = path.join(dir, 'manifest.yml');
  const check = `verify:\n  - command: [sh, -c, 'cat ${root}/etc/app.env; exit 1']\n    settle: 0\n    retries: 0\n`;
  fs.writeFileSync(file, `resources:\n  - id: pin\n    type: line\n    path: /etc/app.env\n    match: ^PIN=\n    line: ${SECRET}\n    sensitive: true\n${verify ? check : ''}`);
  return file;
}

test('a failing verify command: its output is hidden in human, JSON and markdown reports and in the log', async () => {
  const outputs: string[] = [];
  for (const format of ['human', 'json', 'markdown']) {
    fs.writeFileSync(path.join(root, 'etc/app.env'), 'PIN=0000\n');
    const log = path.join(dir, `${format}.log`);
    const run = await runCli(['apply', manifest(true), '--root', root, '--no-color', '--format', format, '--log-file', log, '--log-level', 'debug']);
    expect(run.stdout + run.stderr).toContain('exited 1');
    outputs.push(run.stdout, run.stderr, fs.readFileSync(log, 'utf8'));
  }
  expect(outputs.join('\n')).toContain('(sensitive: hidden)');
  expect(outputs.join('\n')).not.toContain('secret-pin-Zq9xW');
});

test('the JSON plan carries no sha256 or size of a sensitive file', async () => {
  const run = await runCli(['plan', manifest(false), '--root', root, '--format', 'json']);
  const file = JSON.parse(run.stdout).files[0];
  for (const side of [file.before, file.after]) {
    expect(side.type).toBe('file');
    expect(side).not.toHaveProperty('sha256');
    expect(side).not.toHaveProperty('size');
  }
});

test('a sensitive pattern that does not compile is not echoed in any format or the log', async () => {
  const file = path.join(dir, 'bad.yml');
  fs.writeFileSync(file, `resources:\n  - id: pw\n    type: replace\n    path: /etc/app.env\n    pattern: 'PIN=(?P<secret-pin-Zq9xW>x)'\n    replacement: x\n    sensitive: true\n`);
  const outputs: string[] = [];
  for (const format of ['human', 'json', 'markdown']) {
    const log = path.join(dir, `${format}.log`);
    const run = await runCli(['plan', file, '--root', root, '--no-color', '--format', format, '--log-file', log, '--log-level', 'debug']);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain('pattern is not a valid regular expression');
    outputs.push(run.stdout, run.stderr, fs.readFileSync(log, 'utf8'));
  }
  expect(outputs.join('\n')).not.toContain('secret-pin-Zq9xW');
});
