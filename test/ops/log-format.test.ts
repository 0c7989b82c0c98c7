import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

let dir: string;
let root: string;
let manifest: string;
let logFile: string;

beforeEach(() => {
  dir = tempRoot('remedy-logs-');
  root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  manifest = path.join(dir, 'manifest.yml');
  logFile = path.join(dir, 'remedy.log');
  fs.writeFileSync(manifest, 'resources:\n  - id: motd\n    type: file\n    path: /etc/motd\n    content: "hi\\n"\n');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const apply = (format: string) => runCli(['apply', manifest, '--root', root, '--log-file', logFile, '--log-level', 'info', '--log-format', format]);
const logLines = () => fs.readFileSync(logFile, 'utf8').trimEnd().split('\n');

test('--log-format json: one JSON object a line, with resource ids and timings', async () => {
  expect((await apply('json')).code).toBe(0);
  const events = logLines().map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(events.map((e) => e.msg)).toEqual(['planned', 'run lock taken', 'planned', 'resource applied', 'apply done']);
  expect(events.find((e) => e.msg === 'resource applied')).toMatchObject({ command: 'apply', resource: 'file.motd[/etc/motd]', status: 'changed' });
  expect(typeof events.find((e) => e.msg === 'apply done')!.ms).toBe('number');
  // The run id names the run record (`remedy history`, `remedy rollback ID`).
  expect(events.find((e) => e.msg === 'apply done')!.run).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}$/);
});

test('--log-format pretty: one readable line an event, no colour in a file', async () => {
  expect((await apply('pretty')).code).toBe(0);
  const lines = logLines();
  expect(lines).toHaveLength(5); // planned, lock taken, planned again under the lock, applied, done
  expect(lines[3]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: resource applied \{.*"resource":"file\.motd\[\/etc\/motd\]".*\}$/);
  expect(lines.join('\n')).not.toContain('\u001b[');
});

test('an unknown --log-format is a usage error', async () => {
  const res = await runCli(['apply', manifest, '--root', root, '--log-format', 'xml']);
  expect(res.code).toBe(1);
  expect(res.stderr).toContain("'xml' is invalid");
});
