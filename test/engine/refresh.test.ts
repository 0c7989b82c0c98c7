import * as fs from 'node:fs';
import * as path from 'node:path';
import { runInRoot } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

/*
 * Refresh ordering with real commands: each service's reload appends its name and the
 * files it depends on, as they are at that moment, to a log. The log shows when a
 * refresh ran, how often, and what it saw.
 */

let root: string;
let log: string;

beforeEach(() => {
  root = tempRoot();
  log = path.join(root, 'refresh.log');
  fs.mkdirSync(path.join(root, 'etc'));
  fs.writeFileSync(path.join(root, 'etc/a.conf'), 'a = old\n');
  fs.writeFileSync(path.join(root, 'etc/b.conf'), 'b = old\n');
  fs.writeFileSync(path.join(root, 'etc/c.conf'), 'c = old\n');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function service(id: string, extra = ''): string {
  return `
  - id: ${id}
    type: service
    name: ${id}
    status_command: ["true"]
    reload_command: ["sh", "-c", "echo ${id}: $(cat \${root}/etc/a.conf \${root}/etc/b.conf) >> \${log}"]${extra}`;
}

function setting(id: string, file: string, value: string, notify: string[] = []): string {
  return `
  - id: ${id}
    type: line
    path: /etc/${file}
    line: "${file[0]} = ${value}"
    match: '^${file[0]} ='${notify.length > 0 ? `\n    notify: [${notify.join(', ')}]` : ''}`;
}

async function apply(resources: string): Promise<number> {
  const run = await runInRoot(root, 'apply', resources, ['--var', `root=${root}`, '--var', `log=${log}`]);
  if (run.code !== 0 && run.code !== 2) throw new Error(`apply exited ${run.code}:\n${run.stdout}${run.stderr}`);
  return run.code;
}

const logLines = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : []);

test('two changed notifiers refresh a service once, after both files are written', async () => {
  expect(await apply(service('web') + setting('a', 'a.conf', 'new', ['web']) + setting('b', 'b.conf', 'new', ['web']))).toBe(2);
  expect(logLines()).toEqual(['web: a = new b = new']);
});

test('a converged run refreshes nothing', async () => {
  const manifest = service('web') + setting('a', 'a.conf', 'new', ['web']);
  await apply(manifest);
  expect(await apply(manifest)).toBe(0);
  expect(logLines()).toEqual(['web: a = new b = old']);
});

test('a change to a file that does not notify the service does not refresh it', async () => {
  const manifest = service('web') + setting('a', 'a.conf', 'old', ['web']) + setting('c', 'c.conf', 'new');
  expect(await apply(manifest)).toBe(2);
  expect(fs.readFileSync(path.join(root, 'etc/c.conf'), 'utf8')).toBe('c = new\n');
  expect(logLines()).toEqual([]);
});

test('refreshes run in dependency order, not manifest order', async () => {
  const manifest = service('web', '\n    requires: [db]') + service('db') + setting('a', 'a.conf', 'new', ['web', 'db']);
  expect(await apply(manifest)).toBe(2);
  expect(logLines()).toEqual(['db: a = new b = old', 'web: a = new b = old']);
});
