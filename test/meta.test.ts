import * as fs from 'node:fs';
import * as path from 'node:path';
import { kinds } from '../src/resources';

const repo = path.join(__dirname, '..');

describe.each(kinds.map((k) => k.kind))('kind %s is complete', (kind) => {
  test('has fixture cases', () => {
    const dir = path.join(repo, 'test/fixtures', kind);
    const caseDirs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((c) => fs.existsSync(path.join(dir, c, 'manifest.yml'))) : [];
    expect(caseDirs.length).toBeGreaterThanOrEqual(3);
  });

  test('has a docs page that names every parameter', () => {
    const page = path.join(repo, 'docs/resources', `${kind}.md`);
    expect(fs.existsSync(page)).toBe(true);
    const text = fs.readFileSync(page, 'utf8');
    const params = Object.keys(kinds.find((k) => k.kind === kind)!.schema.properties);
    for (const p of params) expect(text).toContain(`\`${p}\``);
  });

  test('has unit tests', () => {
    expect(fs.existsSync(path.join(repo, 'test/resources', `${kind}.test.ts`))).toBe(true);
  });
});
