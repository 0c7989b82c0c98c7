import * as fs from 'node:fs';
import * as path from 'node:path';
import { planService, serviceCommand, serviceKind, type ServiceSpec, type ServiceState } from '../../src/resources/service';
import type { CommandSpec } from '../../src/engine/types';
import { runInRoot } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

const apache: ServiceSpec = { id: 'apache', name: 'apache2' };
const argvs = (cmds: CommandSpec[] | undefined) => (cmds ?? []).map((c) => c.argv.join(' '));

describe('service command selection', () => {
  test('systemd when it is PID 1', () => {
    expect(serviceCommand(apache, 'systemd', 'reload').argv).toEqual(['systemctl', 'reload', 'apache2']);
    expect(serviceCommand(apache, 'systemd', 'status').argv).toEqual(['systemctl', 'is-active', '--quiet', 'apache2']);
    expect(serviceCommand(apache, 'systemd', 'enable').argv).toEqual(['systemctl', 'enable', 'apache2']);
  });

  test('service and update-rc.d without systemd (containers, CI)', () => {
    expect(serviceCommand(apache, 'sysv', 'restart').argv).toEqual(['service', 'apache2', 'restart']);
    expect(serviceCommand(apache, 'sysv', 'status').argv).toEqual(['service', 'apache2', 'status']);
    expect(serviceCommand(apache, 'sysv', 'disable').argv).toEqual(['update-rc.d', 'apache2', 'disable']);
  });

  test('explicit argv overrides win over both', () => {
    const own = { ...apache, reload_command: ['apache2', '-f', '/srv/a.conf', '-k', 'graceful'], status_command: ['test', '-f', '/run/a.pid'] };
    expect(serviceCommand(own, 'systemd', 'reload').argv).toEqual(['apache2', '-f', '/srv/a.conf', '-k', 'graceful']);
    expect(serviceCommand(own, 'sysv', 'status').argv).toEqual(['test', '-f', '/run/a.pid']);
    expect(serviceCommand(own, 'sysv', 'start').argv).toEqual(['service', 'apache2', 'start']);
  });
});

describe('service plan', () => {
  const running: ServiceState = { manager: 'systemd', running: true };
  const stopped: ServiceState = { manager: 'systemd', running: false };

  test('in sync: nothing to do, and it says why', () => {
    const p = planService({ ...apache, ensure: 'running' }, running, false);
    expect(p).toEqual({ action: 'none', reason: 'apache2 is running', commands: [] });
  });

  test('a stopped service that must run is started', () => {
    expect(argvs(planService({ ...apache, ensure: 'running' }, stopped, false).commands)).toEqual(['systemctl start apache2']);
  });

  test('a running service that must stop is stopped', () => {
    expect(planService({ ...apache, ensure: 'stopped' }, running, false).action).toBe('stop');
  });

  test('notified: reload after the writes by default, restart when asked', () => {
    const p = planService(apache, running, true);
    expect(p.action).toBe('reload');
    expect(p.commands).toEqual([]);
    expect(argvs(p.refresh)).toEqual(['systemctl reload apache2']);
    expect(argvs(planService({ ...apache, on_refresh: 'restart' }, running, true).refresh)).toEqual(['systemctl restart apache2']);
  });

  test('a service started in this run is not reloaded as well', () => {
    const p = planService({ ...apache, ensure: 'running' }, stopped, true);
    expect(p.action).toBe('start');
    expect(p.refresh).toBeUndefined();
  });

  test('a stopped service that is left alone is not reloaded', () => {
    expect(planService(apache, stopped, true).refresh).toBeUndefined();
  });

  test('enable is managed only when asked', () => {
    const p = planService({ ...apache, enable: true }, { ...running, enabled: false }, false);
    expect(p.action).toBe('enable');
    expect(argvs(p.commands)).toEqual(['systemctl enable apache2']);
  });

  test('read runs the status command through the probe io', async () => {
    const seen: string[][] = [];
    const io = { run: async (c: CommandSpec) => (seen.push(c.argv), { code: 3, signal: null, stdout: '', stderr: '', timedOut: false }), exists: async () => false, root: '/', readText: () => undefined, mtime: () => undefined };
    const state = await serviceKind.read({ ...apache, status_command: ['my-status'] }, io);
    expect(state.running).toBe(false);
    expect(seen).toEqual([['my-status']]);
  });
});

describe('a service that does not exist', () => {
  let root: string;
  beforeEach(() => (root = tempRoot()));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const service = (extra = '') => `
  - id: conf
    type: file
    path: /site.conf
    content: "x"
    notify: [web]
  - id: web
    type: service
    name: remedy-no-such-service
    ensure: running${extra}`;

  test('is a plan error naming the field, not "stopped"; nothing is written', async () => {
    for (const command of ['plan', 'apply']) {
      const run = await runInRoot(root, command, service());
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("service 'remedy-no-such-service' does not exist on this machine");
      expect(run.stderr).toContain('[web]');
    }
    expect(fs.existsSync(path.join(root, 'site.conf'))).toBe(false);
  });

  test('with a status_command of its own, it is the user\'s service and is not looked up', async () => {
    const run = await runInRoot(root, 'plan', service('\n    status_command: ["true"]\n    reload_command: ["true"]'));
    expect(run.code).toBe(2);
  });
});
