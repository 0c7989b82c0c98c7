import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../../src/engine/diagnostics';
import { limitHosts, loadInventory, type Inventory } from '../../src/fleet/inventory';
import { tempRoot } from '../helpers/tree';

let dir: string;
beforeEach(() => (dir = tempRoot('remedy-inventory-')));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function inventory(name: string, text: string, extra: Record<string, string> = {}): Inventory {
  for (const [rel, content] of Object.entries({ [name]: text, ...extra })) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  const diagnostics: Diagnostic[] = [];
  const inv = loadInventory(path.join(dir, name), diagnostics);
  expect(diagnostics).toEqual([]);
  return inv!;
}

const YAML_INVENTORY = `all:
  vars: { php_version: "8.1", tier: all, ansible_user: deploy }
  children:
    prod:
      vars: { tier: prod }
      children:
        web:
          vars: { tier: web }
          hosts:
            web1: { ansible_host: 10.0.0.1, tier: web1 }
            web2:
        db:
          hosts:
            db1: { ansible_port: 2222 }
    staging:
      hosts:
        web3:
`;

describe('YAML inventories', () => {
  test('hosts in order, groups through children, vars by precedence', () => {
    const inv = inventory('hosts.yml', YAML_INVENTORY);
    expect(inv.hosts.map((h) => h.name)).toEqual(['web1', 'web2', 'db1', 'web3']);
    const [web1, web2, db1, web3] = inv.hosts;
    expect(web1.groups.sort()).toEqual(['prod', 'web']);
    expect(web1.vars).toMatchObject({ tier: 'web1', php_version: '8.1', ansible_host: '10.0.0.1', ansible_user: 'deploy' });
    expect(web2.vars.tier).toBe('web');
    expect(db1.vars).toMatchObject({ tier: 'prod', ansible_port: 2222 });
    expect(web3.vars.tier).toBe('all');
  });

  test('group_vars and host_vars files beside the inventory override the inventory file at their level', () => {
    const inv = inventory('hosts.yml', YAML_INVENTORY, { 'group_vars/web.yml': 'tier: from-group-vars\nphp_version: "8.2"\n', 'group_vars/all.yml': 'php_version: "7.4"\n', 'host_vars/web2.yml': 'php_version: "8.3"\n' });
    const [web1, web2, db1] = inv.hosts;
    expect([web1.vars.tier, web1.vars.php_version]).toEqual(['web1', '8.2']);
    expect(web2.vars).toMatchObject({ tier: 'from-group-vars', php_version: '8.3' });
    expect(db1.vars.php_version).toBe('7.4');
  });
});

describe('INI inventories', () => {
  test('[group], [group:vars], [group:children], typed values, ungrouped hosts', () => {
    const inv = inventory(
      'hosts',
      `lb1 ansible_host=10.0.0.9\n\n[web]\nweb1 ansible_port=2201 name="Web One"\nweb2\n\n[web:vars]\nphp_version=8.2\nssl=true\n\n[prod:children]\nweb\n\n[prod:vars]\nphp_version=8.1\ntier=prod\n`,
    );
    expect(inv.hosts.map((h) => h.name)).toEqual(['lb1', 'web1', 'web2']);
    const [lb1, web1] = inv.hosts;
    expect(lb1.groups).toEqual([]);
    expect(web1.groups.sort()).toEqual(['prod', 'web']);
    expect(web1.vars).toEqual({ ansible_port: 2201, name: 'Web One', php_version: '8.2', ssl: true, tier: 'prod' });
  });

  test('a broken header is an error with its line', () => {
    fs.writeFileSync(path.join(dir, 'hosts'), 'web1\n[web\n');
    const diagnostics: Diagnostic[] = [];
    expect(loadInventory(path.join(dir, 'hosts'), diagnostics)).toBeUndefined();
    expect(diagnostics[0].summary).toContain('hosts:2:');
  });
});

describe('--limit', () => {
  const names = (pattern: string) => {
    const diagnostics: Diagnostic[] = [];
    return limitHosts(inventory('hosts.yml', YAML_INVENTORY), pattern, diagnostics).map((h) => h.name);
  };

  test.each([
    ['web', ['web1', 'web2']],
    ['web:!web2', ['web1']],
    ['prod:&web', ['web1', 'web2']],
    ['web*', ['web1', 'web2', 'web3']],
    ['db1,web3', ['db1', 'web3']],
    ['all:!prod', ['web3']],
    ['~web[13]', ['web1', 'web3']],
    ['!db1', ['web1', 'web2', 'web3']],
  ])('%s', (pattern, expected) => {
    expect(names(pattern)).toEqual(expected);
  });

  test('a pattern that matches nothing is an error listing hosts and groups', () => {
    const diagnostics: Diagnostic[] = [];
    limitHosts(inventory('hosts.yml', YAML_INVENTORY), 'mail', diagnostics);
    expect(diagnostics[0].summary).toBe('--limit mail matches no host of the inventory');
  });
});
