import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtRemedy } from '../reliability/built-cli';

// `remedy agent` takes a request on stdin from a fleet controller: it writes the request's
// files only inside its own folder, and refuses a request that would write elsewhere.

let dir: string;
beforeAll(() => builtRemedy(), 120_000);
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remedy-agent-test-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const agent = (request: unknown) => spawnSync(process.execPath, [builtRemedy(), 'agent'], { input: JSON.stringify(request), encoding: 'utf8', timeout: 60_000 });
const file = (p: string, text: string) => ({ path: p, mode: 0o644, b64: Buffer.from(text).toString('base64') });

test('a file path that climbs out of the request folder is refused and not written', () => {
  const escape = path.join(dir, 'escaped');
  const run = agent({ command: 'plan', manifest: 'site.yml', files: [file('site.yml', 'resources: []\n'), file(path.relative(os.tmpdir(), escape).replace(/^/, '../'), 'x')], args: ['--root', dir] });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("is outside the request's folder");
  expect(fs.existsSync(escape)).toBe(false);
});

test('a relative keep-folder and an unknown command are refused', () => {
  expect(agent({ command: 'plan', manifest: 'site.yml', folder: 'plans/x', files: [], args: [] }).stderr).toContain('is not absolute');
  expect(agent({ command: 'schedule', files: [], args: [] }).stderr).toContain('agent: unknown command schedule');
});

test('a good request runs the command in its folder and answers with the JSON report', () => {
  fs.mkdirSync(path.join(dir, 'root/etc'), { recursive: true });
  const run = agent({ command: 'plan', manifest: 'site.yml', files: [file('site.yml', 'resources:\n  - { id: motd, type: file, path: /etc/motd, content: "hi\\n" }\n')], args: ['--root', path.join(dir, 'root'), '--format', 'json', '--detailed-exitcodes'] });
  expect(run.status).toBe(2);
  expect(JSON.parse(run.stdout).summary.changed).toBe(1);
  expect(fs.existsSync(path.join(dir, 'root/etc/motd'))).toBe(false);
});
