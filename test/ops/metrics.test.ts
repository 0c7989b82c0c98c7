import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

// parse-prometheus-text-format ships no types: what it returns, as prom2json does.
interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => ParsedFamily[];

let dir: string;
let root: string;
let manifest: string;
let metricsFile: string;

beforeEach(() => {
  dir = tempRoot('remedy-metrics-');
  root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'app.conf'), 'port=80\n');
  manifest = path.join(dir, 'manifest "prod".yml');
  metricsFile = path.join(dir, 'textfile_collector', 'remedy-app.prom');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeManifest(extra = ''): void {
  fs.writeFileSync(
    manifest,
    `resources:
  - id: port
    type: line
    path: /etc/app.conf
    match: '^port='
    line: port=8080
  - id: motd
    type: file
    path: /etc/motd
    content: "hello\\n"
${extra}`,
  );
}

const run = (command: string, ...extra: string[]) => runCli([command, manifest, '--root', root, '--no-color', '--metrics-file', metricsFile, ...extra]);

/** name -> the samples as `labels -> value`, labels other than manifest written `k=v`. */
function readMetrics(): Record<string, Record<string, number>> {
  const text = fs.readFileSync(metricsFile, 'utf8');
  const out: Record<string, Record<string, number>> = {};
  for (const family of parsePrometheus(text)) {
    expect(family.type).toBe('GAUGE');
    expect(family.help).not.toBe('');
    out[family.name] = {};
    for (const m of family.metrics) {
      const { manifest: label, ...rest } = m.labels ?? {};
      expect(label).toBe(manifest);
      out[family.name][Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(',')] = Number(m.value);
    }
  }
  return out;
}

test('apply writes every metric, parsed back by a Prometheus text-format parser', async () => {
  writeManifest();
  const before = Date.now() / 1000;
  expect((await run('apply')).code).toBe(0);
  const m = readMetrics();
  expect(Object.keys(m).sort()).toEqual(['remedy_drift_files', 'remedy_last_run_success', 'remedy_last_run_timestamp_seconds', 'remedy_resources', 'remedy_run_duration_seconds']);
  expect(m.remedy_last_run_success['']).toBe(1);
  expect(m.remedy_resources).toEqual({ 'state=changed': 2, 'state=unchanged': 0, 'state=failed': 0 });
  expect(m.remedy_drift_files['']).toBe(0);
  expect(m.remedy_last_run_timestamp_seconds['']).toBeGreaterThanOrEqual(before);
  expect(m.remedy_last_run_timestamp_seconds['']).toBeLessThanOrEqual(Date.now() / 1000);
  expect(m.remedy_run_duration_seconds['']).toBeGreaterThanOrEqual(0);
  expect(m.remedy_run_duration_seconds['']).toBeLessThan(30);
  expect(fs.readdirSync(path.dirname(metricsFile))).toEqual(['remedy-app.prom']); // no temp file left
  expect(fs.statSync(metricsFile).mode & 0o777).toBe(0o644);
});

test('a hand edit after an apply counts as drift, in check and in the apply that repairs it', async () => {
  writeManifest();
  await run('apply');
  fs.writeFileSync(path.join(root, 'etc', 'app.conf'), 'port=9999\n');
  expect((await run('check')).code).toBe(2);
  const checked = readMetrics();
  expect(checked.remedy_last_run_success['']).toBe(1);
  expect(checked.remedy_drift_files['']).toBe(1);
  expect(checked.remedy_resources['state=changed']).toBe(0);
  expect((await run('apply')).code).toBe(0);
  const repaired = readMetrics();
  expect(repaired.remedy_drift_files['']).toBe(1);
  expect(repaired.remedy_resources).toEqual({ 'state=changed': 1, 'state=unchanged': 1, 'state=failed': 0 });
});

test('a failed resource or a manifest error is a failed run', async () => {
  writeManifest(`  - id: broken
    type: exec
    command: ["false"]
`);
  expect((await run('apply', '--detailed-exitcodes')).code).toBe(6);
  const failed = readMetrics();
  expect(failed.remedy_last_run_success['']).toBe(0);
  expect(failed.remedy_resources).toEqual({ 'state=changed': 2, 'state=unchanged': 0, 'state=failed': 1 });

  fs.writeFileSync(manifest, 'resources: [');
  expect((await run('apply')).code).toBe(1);
  expect(readMetrics().remedy_last_run_success['']).toBe(0);
});

test('an unwritable --metrics-file is a usage error before anything runs', async () => {
  writeManifest();
  fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
  const res = await runCli(['apply', manifest, '--root', root, '--metrics-file', path.join(dir, 'not-a-dir', 'x.prom')]);
  expect(res.code).toBe(1);
  expect(res.stderr).toContain('--metrics-file');
  expect(fs.readFileSync(path.join(root, 'etc', 'app.conf'), 'utf8')).toBe('port=80\n');
});

describe('--splay', () => {
  test('a bad duration is a usage error (exit 1), before any sleep', async () => {
    writeManifest();
    for (const bad of ['5x', '-1', 'soon', '1m30s']) {
      const res = await runCli(['apply', manifest, '--root', root, '--splay', bad]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`--splay ${bad} is not a duration`);
    }
    expect((await runCli(['apply', manifest, '--root', root, '--wait', 'later'])).code).toBe(1);
  });

  test('--splay 1s sleeps below a second, then runs', async () => {
    writeManifest();
    const started = Date.now();
    const res = await runCli(['apply', manifest, '--root', root, '--splay', '1s']);
    expect(res.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fs.readFileSync(path.join(root, 'etc', 'app.conf'), 'utf8')).toBe('port=8080\n');
  });
});
