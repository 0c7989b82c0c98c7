import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';

const repo = path.join(__dirname, '..');

// `npm run demo` is the README's first command: it must show plan -> apply -> plan with exit codes 2, 2, 0.
test('npm run demo repairs the incident example: plan 2, apply 2, plan 0', () => {
  execFileSync(process.execPath, [path.join(repo, 'scripts', 'build.js')], { cwd: repo });
  const run = spawnSync(process.execPath, [path.join(repo, 'scripts', 'demo.js')], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain("-require ABSPATH . WPINC . '/class-wp-locale.phpp';");
  expect(run.stdout).toContain('+date.timezone = UTC');
  expect(run.stdout).toContain('Apply complete: 9 changed, 0 failed, 0 unchanged.');
  expect(run.stdout).toContain('No changes: 9 resource(s) in sync.');
  expect(run.stdout).toContain('exit codes 2, 2, 0 as expected');
}, 60_000);
