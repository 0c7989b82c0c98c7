import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../../src/engine/diagnostics';
import type { Facts } from '../../src/facts/gather';
import { loadManifest, type HostScope } from '../../src/manifest/load';
import { evaluateWhen, JinjaError } from '../../src/manifest/jinja';
import { runCli } from '../helpers/cli';
import { tempRoot } from '../helpers/tree';

const facts: Facts = {
  hostname: 'web1',
  fqdn: 'web1.example.org',
  os: { id: 'debian', version_id: '12', codename: 'bookworm', family: 'debian', name: 'Debian GNU/Linux' },
  arch: 'x86_64',
  cpus: 4,
  memory_mb: 8000,
  ipv4: ['10.0.0.5', '10.0.1.5'],
  custom: { rack: { row: 'b' } },
};
const host: HostScope = { facts, host: { name: 'web1', groups: ['web'] } };

let dir: string;
beforeEach(() => (dir = tempRoot('remedy-host-aware-')));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function load(files: Record<string, string>, overrides: Record<string, string> = {}) {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const diagnostics: Diagnostic[] = [];
  const loaded = loadManifest(path.join(dir, 'manifest.yml'), overrides, diagnostics, host);
  return { loaded, diagnostics, ids: loaded?.resources.map((r) => r.data.id), skipped: loaded?.skipped.map((s) => `${s.id}: ${s.reason}`) };
}

const motd = (extra: string) => `resources:\n  - id: motd\n    type: file\n    path: /etc/motd\n    content: "x"\n${extra}`;

describe('when:', () => {
  test('true keeps, false skips with the expression, per item of a loop', () => {
    const { ids, skipped } = load({
      'manifest.yml': "vars:\n  ports: [80, 8080]\nresources:\n  - id: listen\n    type: line\n    path: /etc/ports.conf\n    line: Listen ${item}\n    loop: ${ports}\n    when: item > 1000 and facts.os.family == 'debian'\n",
    });
    expect(ids).toEqual(['listen[8080]']);
    expect(skipped).toEqual(["listen[80]: when: item > 1000 and facts.os.family == 'debian' is false"]);
  });

  test('an unknown name is an error at its position, with the names known there', () => {
    const { loaded, diagnostics } = load({ 'manifest.yml': motd("    when: facts.custom.rack.rwo == 'b'\n") });
    expect(loaded).toBeUndefined();
    expect(diagnostics[0]).toMatchObject({ summary: "when: 'facts.custom.rack.rwo' is not defined", resourceId: 'motd', source: { line: 6, column: 11 } });
    expect(diagnostics[0].hint).toContain('known here: row');
  });

  test('`is defined` may test a missing name', () => {
    expect(load({ 'manifest.yml': motd('    when: facts.custom.dc is defined\n') }).skipped).toEqual(['motd: when: facts.custom.dc is defined is false']);
  });

  test('expressions: in, filters, indexing, not', () => {
    const scope = { facts, host: host.host, release: { '12': '8.2' } };
    expect(evaluateWhen("'web' in host.groups and not ('db' in host.groups)", scope)).toBe(true);
    expect(evaluateWhen("facts.os.id | upper == 'DEBIAN' and release[facts.os.version_id] == '8.2'", scope)).toBe(true);
    expect(evaluateWhen('facts.ipv4 | length == 2', scope)).toBe(true);
    expect(() => evaluateWhen("release[facts.os.versionid] == '8.2'", scope)).toThrow("'facts.os.versionid' is not defined");
    expect(() => evaluateWhen("facts.constructor.name == 'Object'", scope)).toThrow(JinjaError);
  });

  test('a verify check and an include take when: too', () => {
    const { loaded } = load({
      'manifest.yml': "include:\n  - { path: web.yml, when: \"'web' in host.groups\" }\n  - { path: db.yml, when: \"'db' in host.groups\" }\nresources:\n  - id: motd\n    type: file\n    path: /etc/motd\n    content: x\nverify:\n  - { command: ['true'], when: \"facts.os.family == 'rhel'\" }\n  - { command: ['true'], name: always }\n",
      'web.yml': 'resources:\n  - id: web\n    type: file\n    path: /etc/web\n    content: w\n',
      'db.yml': 'resources:\n  - id: db\n    type: file\n    path: /etc/db\n    content: d\n',
    });
    expect(loaded!.resources.map((r) => r.data.id)).toEqual(['web', 'motd']);
    expect(loaded!.verify.map((v) => v.name)).toEqual(['always']);
  });
});

describe('loop:', () => {
  test('a literal list, a map and a fact; ids are id[item]', () => {
    const { ids } = load({
      'manifest.yml': [
        'vars:',
        '  limits: { nofile: 65536, nproc: 4096 }',
        'resources:',
        '  - { id: dir, type: file, path: "/srv/${item}", ensure: directory, loop: [a, b] }',
        '  - { id: limit, type: line, path: /etc/limits.conf, line: "* - ${item.key} ${item.value}", loop: "${limits}" }',
        '  - { id: listen, type: line, path: /etc/listen.conf, line: "ListenAddress ${item}", loop: "${facts.ipv4}" }',
        '',
      ].join('\n'),
    });
    expect(ids).toEqual(['dir[a]', 'dir[b]', 'limit[nofile]', 'limit[nproc]', 'listen[10.0.0.5]', 'listen[10.0.1.5]']);
  });

  test('requires naming a looped resource waits for every instance; a skipped one is satisfied', () => {
    const { loaded } = load({
      'manifest.yml':
        "resources:\n  - { id: site, type: file, path: '/srv/${item}', content: x, loop: [a, b] }\n  - { id: gone, type: file, path: /srv/gone, content: x, when: 'false' }\n  - { id: index, type: file, path: /srv/index, content: x, requires: [site, gone] }\n",
    });
    expect(loaded!.resources.find((r) => r.data.id === 'index')!.data.requires).toEqual(['site[a]', 'site[b]']);
  });

  test('an empty list is zero instances, shown as skipped', () => {
    expect(load({ 'manifest.yml': 'vars:\n  none: []\nresources:\n  - { id: site, type: file, path: "/srv/${item}", content: x, loop: "${none}" }\n' }).skipped).toEqual(['site: loop over an empty list: no instances']);
  });

  test('${facts...} and ${host...} in paths and vars; an unknown fact names its neighbours', () => {
    const { loaded } = load({ 'manifest.yml': 'vars:\n  conf: /etc/${facts.os.id}-${facts.os.version_id}.conf\nresources:\n  - { id: f, type: file, path: "${conf}", content: "${host.name} ${host.groups}" }\n' });
    expect(loaded!.resources[0].data).toMatchObject({ path: '/etc/debian-12.conf', content: 'web1 web' });
    const { diagnostics } = load({ 'manifest.yml': 'resources:\n  - { id: f, type: file, path: "/etc/${facts.os.release}", content: x }\n' });
    expect(diagnostics[0].summary).toBe('unknown variable ${facts.os.release}');
    expect(diagnostics[0].hint).toContain('facts.os has: codename, family, id, name, version_id');
  });
});

describe('through the CLI', () => {
  test('skipped resources in the JSON plan, and --group for host.groups', async () => {
    fs.mkdirSync(path.join(dir, 'root/etc'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'manifest.yml'), "resources:\n  - { id: web, type: file, path: /etc/web, content: w, when: \"'web' in host.groups\" }\n");
    const plan = async (...extra: string[]) => JSON.parse((await runCli(['plan', path.join(dir, 'manifest.yml'), '--root', path.join(dir, 'root'), '--format', 'json', ...extra])).stdout);
    expect((await plan()).resources).toEqual([expect.objectContaining({ id: 'web', action: 'skip', reason: "when: 'web' in host.groups is false" })]);
    expect((await plan('--group', 'web')).resources).toEqual([expect.objectContaining({ id: 'web', action: 'create' })]);
  });
});
