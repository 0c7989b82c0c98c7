import fc from 'fast-check';
import * as fs from 'node:fs';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import { editJson, jsonKind, type JsonSpec } from '../../src/resources/json';
import { parseKeyPath, type DataValue } from '../../src/resources/key-path';
import { describeWithRealFile } from '../setup/real-files';

const edit = (text: string, spec: JsonSpec) => editJson(text, spec).text;

describe('key paths', () => {
  test('dots, indexes and quoted keys', () => {
    expect(parseKeyPath('a.b[0].c')).toEqual(['a', 'b', 0, 'c']);
    expect(parseKeyPath('log-opts."max-size"')).toEqual(['log-opts', 'max-size']);
    expect(parseKeyPath('"a.b"[2][3]')).toEqual(['a.b', 2, 3]);
  });

  test.each(['', 'a..b', 'a.', 'a[x]', 'a."b', 'a b', '.a'])('%j is refused with the column', (key) => {
    expect(() => parseKeyPath(key)).toThrow(/is not a key path: .* at character \d+/);
  });
});

describe('setting a value changes only its bytes', () => {
  const daemon = '{\n    "log-driver": "json-file", // docker default\n    "log-opts": {"max-size": "10m"}\n}\n';

  test('a scalar in place', () => {
    expect(edit(daemon, { key: 'log-driver', value: 'journald' })).toBe(daemon.replace('"json-file"', '"journald"'));
  });

  test('a new key in a one-line map stays on that line', () => {
    expect(edit(daemon, { key: 'log-opts."max-file"', value: '3' })).toBe(daemon.replace('"10m"}', '"10m", "max-file": "3"}'));
  });

  test('a new key after the last one, with its indentation, a comment kept on its own line', () => {
    const text = '{\n    "a": 1,\n    "z": 2 // last\n}\n';
    expect(edit(text, { key: 'new', value: { x: [1] } })).toBe('{\n    "a": 1,\n    "z": 2, // last\n    "new": {\n        "x": [\n            1\n        ]\n    }\n}\n');
  });

  test('missing parents are created as maps', () => {
    expect(edit('{\n  "a": 1\n}\n', { key: 'b.c', value: true })).toBe('{\n  "a": 1,\n  "b": {\n    "c": true\n  }\n}\n');
  });

  test('tabs, CRLF and a trailing comma are kept', () => {
    expect(edit('{\r\n\t"a": 1,\r\n}', { key: 'b', value: 2 })).toBe('{\r\n\t"a": 1,\r\n\t"b": 2,\r\n}');
  });

  test('an empty or blank file gets a document', () => {
    expect(edit('', { key: 'a.b', value: 'x' })).toBe('{\n  "a": {\n    "b": "x"\n  }\n}\n');
    expect(edit('{}\n', { key: 'a', value: 1 })).toBe('{\n  "a": 1\n}\n');
  });

  test('list items by index, and [length] appends', () => {
    const text = '{\n  "list": [\n    1,\n    2\n  ]\n}';
    expect(edit(text, { key: 'list[0]', value: 5 })).toBe(text.replace('1,', '5,'));
    expect(edit(text, { key: 'list[2]', value: 3 })).toBe('{\n  "list": [\n    1,\n    2,\n    3\n  ]\n}');
  });

  test('an equal value is in sync, whatever its spelling or key order', () => {
    const text = '{"n": 1.0, "m": {"b": 2, "a": 1}}';
    expect(editJson(text, { key: 'n', value: 1 })).toEqual({ text, reason: 'n is already set' });
    expect(edit(text, { key: 'm', value: { a: 1, b: 2 } })).toBe(text);
  });

  test('the last of duplicate keys is the one edited (the one readers keep)', () => {
    expect(edit('{"a": 1, "a": 2}', { key: 'a', value: 3 })).toBe('{"a": 1, "a": 3}');
  });

  test('merge: true sets only the differing leaves', () => {
    const text = '{\n  "m": {\n    "a": 1,\n    "b": {"c": 1}\n  }\n}\n';
    const out = editJson(text, { key: 'm', value: { a: 1, b: { d: 2 }, e: 3 }, merge: true });
    expect(out.text).toBe('{\n  "m": {\n    "a": 1,\n    "b": {"c": 1, "d": 2},\n    "e": 3\n  }\n}\n');
    expect(out.reason).toBe('set m (merge: m.b.d, m.e)');
    expect(edit(text, { key: 'm', value: { a: 2 } })).toBe('{\n  "m": {\n    "a": 2\n  }\n}\n');
  });
});

describe('removing', () => {
  const text = '{\n    "a": 1, // about a\n    "z": 2 // about z\n}\n';

  test('a key on its own line goes with its line and its comment', () => {
    expect(edit(text, { key: 'a', ensure: 'absent' })).toBe('{\n    "z": 2 // about z\n}\n');
    expect(edit(text, { key: 'z', ensure: 'absent' })).toBe('{\n    "a": 1 // about a\n}\n');
  });

  test('inside one line, the item and its comma', () => {
    expect(edit('{"a": [1, 2, 3]}', { key: 'a[1]', ensure: 'absent' })).toBe('{"a": [1, 3]}');
  });

  test('a missing key is in sync', () => {
    expect(editJson(text, { key: 'b.c', ensure: 'absent' })).toEqual({ text, reason: 'b.c is already absent' });
  });
});

describe('refusals', () => {
  test('a file that does not parse, with its line and column', () => {
    expect(() => edit('{\n  "a": 1\n  "b": 2\n}', { key: 'a', value: 2 })).toThrow(/not valid JSON: line 3, column 3: CommaExpected/);
  });

  test('a key below a scalar, and an index past the end', () => {
    expect(() => edit('{"a": "text"}', { key: 'a.b', value: 1 })).toThrow(/a is a string, not a map/);
    expect(() => edit('{"a": [1]}', { key: 'a[3]', value: 1 })).toThrow(/a\[3\] is past the end of a list of 1/);
    expect(() => edit('[1]', { key: 'x', value: 1 })).toThrow(/the document is a list, not a map/);
  });

  test('spec checks', () => {
    expect(() => jsonKind.check!({ key: 'a', ensure: 'absent', value: 1 })).toThrow(/value must not be given/);
    expect(() => jsonKind.check!({ key: 'a' })).toThrow(/value is required/);
    expect(() => jsonKind.check!({ key: 'a', value: [1], merge: true })).toThrow(/merge: true needs a map/);
  });
});

describeWithRealFile('composer.json', "a real composer.json (Debian's prometheus package)", (file) => {
  const real = fs.readFileSync(file, 'utf8');

  test.each<[JsonSpec, DataValue | undefined]>([
    [{ key: 'license', value: 'MIT' }, 'MIT'],
    [{ key: 'require.php', value: '>=8.2' }, '>=8.2'],
    [{ key: 'extra.component.files[2]', value: 'extra.js' }, 'extra.js'],
    [{ key: 'authors[0].email', value: 'someone@example.org' }, 'someone@example.org'],
    [{ key: 'minimum-stability', ensure: 'absent' }, undefined],
  ])('%j: the value is there, every other key is as before, a second run changes nothing', (spec, expected) => {
    const out = edit(real, spec);
    const path = parseKeyPath(spec.key);
    const wanted = JSON.parse(real);
    const parent = path.slice(0, -1).reduce((v, s) => (v[s] ??= {}), wanted);
    if (expected === undefined) delete parent[path[path.length - 1]];
    else parent[path[path.length - 1]] = expected;
    expect(JSON.parse(out)).toEqual(wanted);
    expect(edit(out, spec)).toBe(out);
  });

  test('a value set in place leaves every other byte', () => {
    expect(edit(real, { key: 'type', value: 'library' })).toBe(real.replace('"type": "component"', '"type": "library"'));
  });
});

describe('property: generated documents', () => {
  const layouts = fc.constantFrom<string | number>(2, 4, '\t', 0);
  const keyName = fc.stringMatching(/^[a-z]{1,6}$/);
  // Through JSON and back: -0 is written as 0, so it is not a value a file can hold.
  const jsonValue = (maxDepth: number) => fc.jsonValue({ maxDepth }).map((v) => JSON.parse(JSON.stringify(v)) as DataValue);
  const documents = fc.dictionary(keyName, jsonValue(3), { minKeys: 1, maxKeys: 6 });

  test('an edit puts the value there, keeps every other key, and a second edit is a no-op', () => {
    fc.assert(
      fc.property(documents, layouts, fc.nat(), keyName, jsonValue(2), fc.boolean(), (doc, layout, pick, fresh, value, existing) => {
        const text = JSON.stringify(doc, null, layout) + '\n';
        const keys = Object.keys(doc);
        const key = existing ? keys[pick % keys.length] : `${fresh}_new`;
        const out = edit(text, { key, value });
        // JSON.parse, not jsonc-parser's parse: only it keeps a "__proto__" key as the data it is.
        expect(JSON.parse(out)).toEqual({ ...doc, [key]: value });
        expect(edit(out, { key, value })).toBe(out);
        const removed = edit(out, { key, ensure: 'absent' });
        const rest = { ...doc };
        delete rest[key];
        expect(JSON.parse(removed)).toEqual(rest);
      }),
      { numRuns: 500 },
    );
  });

  test('changing one scalar leaves the bytes before and after it', () => {
    fc.assert(
      fc.property(documents, layouts, fc.nat(), (doc, layout, pick) => {
        const text = JSON.stringify(doc, null, layout);
        const keys = Object.keys(doc);
        const key = keys[pick % keys.length];
        fc.pre(typeof doc[key] !== 'object' || doc[key] === null);
        const old = findNodeAtLocation(parseTree(text)!, [key])!;
        expect(edit(text, { key, value: 'changed-value' })).toBe(text.slice(0, old.offset) + '"changed-value"' + text.slice(old.offset + old.length));
      }),
      { numRuns: 300 },
    );
  });
});
