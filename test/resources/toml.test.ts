import fc from 'fast-check';
import * as fs from 'node:fs';
import { getStaticTOMLValue, parseTOML } from 'toml-eslint-parser';
import type { DataValue } from '../../src/resources/key-path';
import { editToml, tomlKind, type TomlSpec } from '../../src/resources/toml';
import { describeWithRealFile } from '../setup/real-files';

const edit = (text: string, spec: TomlSpec) => editToml(text, spec).text;
const valueOf = (text: string) => getStaticTOMLValue(parseTOML(text)) as Record<string, any>;

const cargo = '[package]\nname = "app" # the crate\nversion = "0.1.0"\nedition = \'2021\'\n\n[dependencies]\nserde = { version = "1", features = ["derive"] }\n\n[[bin]]\nname = "a"\n\n[[bin]]\nname = "b"\n';

describe('setting values', () => {
  test('in place: only the value, its comment and literal quotes kept', () => {
    expect(edit(cargo, { key: 'package.name', value: 'web' })).toBe(cargo.replace('name = "app"', 'name = "web"'));
    expect(edit(cargo, { key: 'package.edition', value: '2024' })).toBe(cargo.replace("'2021'", "'2024'"));
  });

  test('a new key after the last pair of its table', () => {
    expect(edit(cargo, { key: 'package.license', value: 'MIT' })).toBe(cargo.replace("edition = '2021'\n", "edition = '2021'\nlicense = \"MIT\"\n"));
  });

  test('inline tables and arrays grow in place', () => {
    expect(edit(cargo, { key: 'dependencies.serde.features[1]', value: 'rc' })).toBe(cargo.replace('["derive"]', '["derive", "rc"]'));
    expect(edit(cargo, { key: 'dependencies.serde.default-features', value: false })).toBe(cargo.replace('features = ["derive"] }', 'features = ["derive"], default-features = false }'));
    const multi = 'a = [\n  1,\n  2,\n]\n';
    expect(edit(multi, { key: 'a[2]', value: 3 })).toBe('a = [\n  1,\n  2,\n  3,\n]\n');
  });

  test('a map value is an inline table; an item of an array of tables is a new [[table]]', () => {
    expect(edit(cargo, { key: 'dependencies.tokio', value: { version: '1', features: ['full'] } })).toContain('serde = { version = "1", features = ["derive"] }\ntokio = { version = "1", features = ["full"] }\n');
    expect(edit(cargo, { key: 'bin[1].path', value: 'src/b.rs' })).toBe(cargo + 'path = "src/b.rs"\n');
    expect(edit(cargo, { key: 'bin[2]', value: { name: 'c' } })).toBe(cargo + '\n[[bin]]\nname = "c"\n');
  });

  test('a missing table is appended; a top-level key goes before the first table', () => {
    expect(edit(cargo, { key: 'profile.release.lto', value: true })).toBe(cargo + '\n[profile.release]\nlto = true\n');
    expect(edit('a.x = 1\n', { key: 'a.y', value: 2 })).toBe('a.x = 1\na.y = 2\n');
    expect(edit('', { key: 'a.b', value: 1 })).toBe('[a]\nb = 1\n');
    expect(edit('title = "x"\n\n[a]\nb = 1\n', { key: 'owner', value: 'me' })).toBe('title = "x"\nowner = "me"\n\n[a]\nb = 1\n');
  });

  test('numbers, floats, booleans, dates', () => {
    expect(edit('a = 1\n', { key: 'a', value: 1.5 })).toBe('a = 1.5\n');
    expect(edit('a = 1\n', { key: 'a', value: 2 })).toBe('a = 2\n');
    expect(editToml('d = 1979-05-27T07:32:00Z\n', { key: 'd', value: '1979-05-27T07:32:00Z' }).reason).toBe('d is already set');
    expect(edit('d = 1979-05-27T07:32:00Z\n', { key: 'd', value: '2000-01-01T00:00:00Z' })).toBe('d = 2000-01-01T00:00:00Z\n');
  });

  test('merge: true into a table sets only the differing keys', () => {
    expect(edit('[t]\na = 1\nb = 2\n', { key: 't', value: { a: 1, c: 3 }, merge: true })).toBe('[t]\na = 1\nb = 2\nc = 3\n');
  });

  test('an equal value is in sync; CRLF is kept', () => {
    expect(editToml(cargo, { key: 'package.version', value: '0.1.0' })).toEqual({ text: cargo, reason: 'package.version is already set' });
    expect(edit('[a]\r\nb = 1\r\n', { key: 'a.c', value: 2 })).toBe('[a]\r\nb = 1\r\nc = 2\r\n');
  });
});

describe('removing', () => {
  test('a pair with its line, an item with its comma, a table with its sub-tables', () => {
    expect(edit(cargo, { key: 'package.name', ensure: 'absent' })).toBe(cargo.replace('name = "app" # the crate\n', ''));
    expect(edit('a = [1, 2, 3]\n', { key: 'a[1]', ensure: 'absent' })).toBe('a = [1, 3]\n');
    expect(edit('x = 1\n[t]\na = 1\n[t.sub]\nb = 2\n[u]\nc = 3\n', { key: 't', ensure: 'absent' })).toBe('x = 1\n[u]\nc = 3\n');
    expect(editToml(cargo, { key: 'nothing.here', ensure: 'absent' }).reason).toBe('nothing.here is already absent');
  });
});

describe('refusals', () => {
  test.each<[string, TomlSpec, RegExp]>([
    ['a = [1,\nb = 2\n', { key: 'a', value: 1 }, /not valid TOML: line 2/],
    [cargo, { key: 'package.version', value: null }, /TOML has no null/],
    [cargo, { key: 'package.name.x', value: 1 }, /package.name is a string, not a table/],
    [cargo, { key: 'package', value: { name: 'x' } }, /package is a table/],
  ])('%#: %j', (text, spec, message) => {
    expect(() => edit(text, spec)).toThrow(message);
  });

  test('spec checks', () => {
    expect(() => tomlKind.check!({ key: 'a', merge: true, value: 1 })).toThrow(/merge: true needs a map/);
  });
});

describeWithRealFile('config.toml', "containerd's config.toml (Debian)", (file) => {
  const real = fs.readFileSync(file, 'utf8');

  test.each<[TomlSpec, string[], DataValue]>([
    [{ key: 'plugins."io.containerd.grpc.v1.cri".cni.bin_dir', value: '/opt/cni/bin' }, ['plugins', 'io.containerd.grpc.v1.cri', 'cni', 'bin_dir'], '/opt/cni/bin'],
    [{ key: 'plugins."io.containerd.grpc.v1.cri".sandbox_image', value: 'registry.k8s.io/pause:3.9' }, ['plugins', 'io.containerd.grpc.v1.cri', 'sandbox_image'], 'registry.k8s.io/pause:3.9'],
    [{ key: 'version', value: 3 }, ['version'], 3],
  ])('%j: set, other keys as they were, again nothing', (spec, path, expected) => {
    const out = edit(real, spec);
    const wanted = valueOf(real);
    path.slice(0, -1).reduce((o, s) => o[s], wanted)[path[path.length - 1]] = expected;
    expect(valueOf(out)).toEqual(wanted);
    expect(edit(out, spec)).toBe(out);
    expect(out.split('\n').filter((l) => !real.split('\n').includes(l))).toHaveLength(1);
  });

  test('a key added to an empty table is indented like the other tables pairs', () => {
    expect(edit(real, { key: 'plugins."io.containerd.grpc.v1.cri".sandbox_image', value: 'x' })).toContain('  [plugins."io.containerd.grpc.v1.cri"]\n    sandbox_image = "x"\n');
  });
});

describe('property: generated TOML documents', () => {
  const name = fc.stringMatching(/^[a-z]{1,5}$/);
  const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -1000, max: 1000 }), fc.boolean());
  const plain = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
  const doc = fc.record({ top: fc.dictionary(name, plain, { maxKeys: 3 }), tables: fc.dictionary(name.map((n) => `t_${n}`), fc.dictionary(name, plain, { maxKeys: 3 }), { maxKeys: 3 }) });
  const render = (v: DataValue): string => (Array.isArray(v) ? `[${v.map(render).join(', ')}]` : JSON.stringify(v));
  const text = (d: { top: Record<string, DataValue>; tables: Record<string, Record<string, DataValue>> }) =>
    Object.entries(d.top).map(([k, v]) => `${k} = ${render(v)}\n`).join('') + Object.entries(d.tables).map(([t, kv]) => `\n[${t}]\n${Object.entries(kv).map(([k, v]) => `${k} = ${render(v)}\n`).join('')}`).join('');

  test('changing a value leaves every byte before and after it', () => {
    fc.assert(
      fc.property(doc, fc.nat(), (d, pick) => {
        const source = text(d);
        const entries = parseTOML(source).body[0].body.flatMap((item: any) => (item.type === 'TOMLTable' ? item.body : [item]));
        fc.pre(entries.length > 0);
        const kv = entries[pick % entries.length];
        const table = kv.parent.type === 'TOMLTable' ? `${kv.parent.resolvedKey.join('.')}.` : '';
        const out = edit(source, { key: `${table}${kv.key.keys[0].name}`, value: 'changed-value' });
        expect(out).toBe(source.slice(0, kv.value.range[0]) + '"changed-value"' + source.slice(kv.value.range[1]));
      }),
      { numRuns: 500 },
    );
  });

  test('an edit sets exactly the key, a second edit is a no-op, and removal removes it', () => {
    fc.assert(
      fc.property(doc, fc.nat(), name, plain, fc.boolean(), (d, pick, fresh, v, existing) => {
        const source = text(d);
        const tables = Object.keys(d.tables);
        const table = tables.length > 0 && pick % 2 === 0 ? tables[pick % tables.length] : undefined;
        const keys = Object.keys(table ? d.tables[table] : d.top);
        const key = existing && keys.length > 0 ? keys[pick % keys.length] : `${fresh}_new`;
        const path = table ? `${table}.${key}` : key;
        const out = edit(source, { key: path, value: v });
        const wanted = valueOf(source);
        (table ? wanted[table] : wanted)[key] = v;
        expect(valueOf(out)).toEqual(wanted);
        expect(edit(out, { key: path, value: v })).toBe(out);
        const removed = valueOf(edit(out, { key: path, ensure: 'absent' }));
        delete (table ? wanted[table] : wanted)[key];
        expect(removed).toEqual(wanted);
      }),
      { numRuns: 500 },
    );
  });
});
