import * as fs from 'node:fs';
import * as path from 'node:path';
import { externalFacts, gatherFacts, type FactProblem } from '../../src/facts/gather';
import { tempRoot } from '../helpers/tree';
import { describeWithRealFile } from '../setup/real-files';

const UBUNTU_2404 = [
  'PRETTY_NAME="Ubuntu 24.04.1 LTS"',
  'NAME="Ubuntu"',
  'VERSION_ID="24.04"',
  'VERSION="24.04.1 LTS (Noble Numbat)"',
  'VERSION_CODENAME=noble',
  'ID=ubuntu',
  'ID_LIKE=debian',
  'UBUNTU_CODENAME=noble',
  '',
].join('\n');

function tree(files: Record<string, string>): string {
  const root = tempRoot('remedy-facts-');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describeWithRealFile('os-release', "Debian 12's os-release (base-files)", (file) => {
  test('read through the relative /etc/os-release link, inside the root', () => {
    const root = tree({ 'usr/lib/os-release': fs.readFileSync(file, 'utf8'), 'etc/hostname': 'web1\n' });
    fs.symlinkSync('../usr/lib/os-release', path.join(root, 'etc/os-release'));
    const { facts, problems } = gatherFacts(root);
    expect(problems).toEqual([]);
    expect(facts.os).toEqual({ id: 'debian', version_id: '12', codename: 'bookworm', family: 'debian', name: 'Debian GNU/Linux' });
    expect(facts.hostname).toBe('web1');
  });
});

describe('os families and names', () => {
  test.each([
    [UBUNTU_2404, { id: 'ubuntu', version_id: '24.04', codename: 'noble', family: 'debian' }],
    ['ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n', { id: 'rocky', version_id: '9.4', codename: '', family: 'rhel' }],
    ['ID=alpine\nVERSION_ID=3.20.3\n', { id: 'alpine', version_id: '3.20.3', codename: '', family: 'alpine' }],
    ['ID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.6"\n', { id: 'opensuse-leap', version_id: '15.6', codename: '', family: 'suse' }],
  ])('%#', (release, expected) => {
    expect(gatherFacts(tree({ 'etc/os-release': release })).facts.os).toMatchObject(expected);
  });

  test('fqdn from /etc/hosts, else from resolv.conf', () => {
    expect(gatherFacts(tree({ 'etc/hostname': 'web1\n', 'etc/hosts': '127.0.1.1 web1.example.org web1\n' })).facts.fqdn).toBe('web1.example.org');
    expect(gatherFacts(tree({ 'etc/hostname': 'db2\n', 'etc/resolv.conf': 'search corp.example\nnameserver 10.0.0.1\n' })).facts.fqdn).toBe('db2.corp.example');
  });

  test('facts of the running machine', () => {
    const { facts } = gatherFacts(tree({}));
    expect(facts.cpus).toBeGreaterThan(0);
    expect(facts.memory_mb).toBeGreaterThan(0);
    expect(Array.isArray(facts.ipv4)).toBe(true);
    expect(facts.arch).not.toBe('x64');
  });
});

describe('external facts (facts.d)', () => {
  test('json and yaml files become facts.custom.<name>', () => {
    const root = tree({ 'etc/remedy/facts.d/rack.json': '{"row": "b", "unit": 12}', 'etc/remedy/facts.d/role.yaml': 'tier: web\n' });
    expect(gatherFacts(root).facts.custom).toEqual({ rack: { row: 'b', unit: 12 }, role: { tier: 'web' } });
  });

  test('a broken file is a problem that names it, without quoting it', () => {
    const root = tree({ 'etc/remedy/facts.d/bad.json': 'secret-token-123 {' });
    const { facts, problems } = gatherFacts(root);
    expect(problems).toEqual([{ file: '/etc/remedy/facts.d/bad.json', message: 'it is not valid JSON' }]);
    expect(JSON.stringify(problems)).not.toContain('secret-token-123');
    expect(facts.custom).toEqual({});
  });

  test('a link in facts.d that climbs out of the root is read inside it', () => {
    const outside = tree({ 'secret.json': '{"leaked": true}' });
    const root = tree({});
    fs.mkdirSync(path.join(root, 'etc/remedy/facts.d'), { recursive: true });
    fs.symlinkSync(path.join('..', '..', '..', '..', '..', '..', '..', '..', outside, 'secret.json'), path.join(root, 'etc/remedy/facts.d/x.json'));
    const { facts } = gatherFacts(root);
    expect(facts.custom).toEqual({});
  });

  test('a program runs and prints JSON; under --root it is refused, not run', () => {
    const root = tree({ 'etc/remedy/facts.d/probe': '#!/bin/sh\necho \'{"ok": true}\'\ntouch "$(dirname "$0")/ran"\n' });
    const program = path.join(root, 'etc/remedy/facts.d/probe');
    fs.chmodSync(program, 0o755);
    const refused: FactProblem[] = [];
    expect(gatherFacts(root).problems).toEqual([{ file: '/etc/remedy/facts.d/probe', message: 'an executable fact is not run under --root (it would run on this machine, not in the tree)' }]);
    expect(fs.existsSync(path.join(root, 'etc/remedy/facts.d/ran'))).toBe(false);
    expect(externalFacts(root, refused, true)).toEqual({ probe: { ok: true } });
    expect(refused).toEqual([]);
  });
});
