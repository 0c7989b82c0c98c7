import fc from 'fast-check';
import * as fs from 'node:fs';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { parseKeyPath, type DataValue } from '../../src/resources/key-path';
import { editYaml, yamlKind, type YamlSpec } from '../../src/resources/yaml';
import { describeWithRealFile } from '../setup/real-files';
import { changedLines } from '../helpers/changed-lines';

const edit = (text: string, spec: YamlSpec) => editYaml(text, spec).text;

describe('setting values', () => {
  test('a scalar keeps its spacing, its comment and its quote style', () => {
    expect(edit('a:    1 # one\nb: "x"\nc: \'y\'\n', { key: 'a', value: 2 })).toBe('a:    2 # one\nb: "x"\nc: \'y\'\n');
    expect(edit('b: "x"\n', { key: 'b', value: 'it\'s' })).toBe('b: "it\'s"\n');
    expect(edit("c: 'y'\n", { key: 'c', value: "it's" })).toBe("c: 'it''s'\n");
  });

  test('strings YAML 1.1 readers would take for something else are quoted', () => {
    expect(edit('a: 1\n', { key: 'a', value: 'yes' })).toBe('a: "yes"\n');
    expect(edit('a: 1\n', { key: 'a', value: '0777' })).toBe('a: "0777"\n');
    expect(edit('a: 1\n', { key: 'a', value: 'two\nlines' })).toBe('a: "two\\nlines"\n');
  });

  test('a new key goes after the last key of its map, indented like it', () => {
    expect(edit('top:\n    a: 1\n    b: 2 # two\nnext: 3\n', { key: 'top.c', value: 3 })).toBe('top:\n    a: 1\n    b: 2 # two\n    c: 3\nnext: 3\n');
  });

  test('a map or list value goes on the lines under its key', () => {
    expect(edit('a: 1\nb: 2\n', { key: 'a', value: { x: [1, 2] } })).toBe('a:\n  x:\n    - 1\n    - 2\nb: 2\n');
    expect(edit('a:\n  x: 1\nb: 2\n', { key: 'a', value: 'flat' })).toBe('a: flat\nb: 2\n');
    expect(edit('a:\nb: 2\n', { key: 'a', value: 'set' })).toBe('a: set\nb: 2\n');
  });

  test('flow collections stay flow, quoted like their items', () => {
    expect(edit("x: ['a', 'b']\n", { key: 'x[2]', value: 'c:1' })).toBe("x: ['a', 'b', 'c:1']\n");
    expect(edit('x: {a: 1}\n', { key: 'x.b', value: [1] })).toBe('x: {a: 1, b: [ 1 ]}\n');
  });

  test('lists: set an item, append one', () => {
    const text = 'list:\n  - a\n  - b\nafter: 1\n';
    expect(edit(text, { key: 'list[0]', value: 'z' })).toBe(text.replace('- a', '- z'));
    expect(edit(text, { key: 'list[2]', value: { name: 'c' } })).toBe('list:\n  - a\n  - b\n  - name: c\nafter: 1\n');
  });

  test('missing parents, an empty file, a file of comments only', () => {
    expect(edit('a: 1\n', { key: 'b.c.d', value: true })).toBe('a: 1\nb:\n  c:\n    d: true\n');
    expect(edit('', { key: 'a.b', value: 1 })).toBe('a:\n  b: 1\n');
    expect(edit('# settings\n', { key: 'a', value: 1 })).toBe('# settings\na: 1\n');
  });

  test('an equal value is in sync, whatever its spelling', () => {
    const text = 'a: 0x10\nb: {y: 2, x: 1}\nc: "1.0"\n';
    expect(editYaml(text, { key: 'a', value: 16 })).toEqual({ text, reason: 'a is already set' });
    expect(edit(text, { key: 'b', value: { x: 1, y: 2 } })).toBe(text);
    expect(edit(text, { key: 'c', value: '1.0' })).toBe(text);
  });

  test('merge: true sets only the differing keys', () => {
    const text = 'm:\n  a: 1\n  b:\n    c: 1\n';
    expect(edit(text, { key: 'm', value: { a: 1, b: { d: 2 } }, merge: true })).toBe('m:\n  a: 1\n  b:\n    c: 1\n    d: 2\n');
  });

  test('CRLF files get CRLF lines; a missing final newline gets one before the new line', () => {
    expect(edit('a: 1\r\nb: 2\r\n', { key: 'c', value: 3 })).toBe('a: 1\r\nb: 2\r\nc: 3\r\n');
    expect(edit('a: 1', { key: 'c', value: 3 })).toBe('a: 1\nc: 3\n');
  });

  test('multi-document files need document: N', () => {
    const text = 'a: 1\n---\nb: 2\n';
    expect(() => edit(text, { key: 'b', value: 3 })).toThrow(/holds 2 documents/);
    expect(edit(text, { key: 'b', value: 3, document: 1 })).toBe('a: 1\n---\nb: 3\n');
    expect(() => edit(text, { key: 'b', value: 3, document: 2 })).toThrow(/document 2 does not exist/);
  });
});

describe('removing', () => {
  test('a key with its lines; the comment above the next key stays', () => {
    expect(edit('a: 1\nb:\n  x: 1\n# about c\nc: 3\n', { key: 'b', ensure: 'absent' })).toBe('a: 1\n# about c\nc: 3\n');
  });

  test("a list item's first key: the dash stays and the rest of the map follows", () => {
    expect(edit('- name: x\n  # the port\n  port: 1\n', { key: '[0].name', ensure: 'absent' })).toBe('-\n  # the port\n  port: 1\n');
  });

  test('flow items with their comma', () => {
    expect(edit('x: [1, 2, 3]\n', { key: 'x[1]', ensure: 'absent' })).toBe('x: [1, 3]\n');
    expect(edit('x: {a: 1, b: 2}\n', { key: 'x.a', ensure: 'absent' })).toBe('x: {b: 2}\n');
  });
});

describe('refusals', () => {
  test('a file that does not parse, with line and column', () => {
    expect(() => edit('a: [1, 2\nb: 3\n', { key: 'a', value: 1 })).toThrow(/not valid YAML: line 2, column 1/);
  });

  test('through an alias, or below a scalar', () => {
    expect(() => edit('a: &x {k: 1}\nb: *x\n', { key: 'b.k', value: 2 })).toThrow(/b is an alias \(\*x\), not a map/);
    expect(() => edit('a: &x 1\nb: *x\n', { key: 'b', value: 2 })).toThrow(/cut it from its anchor/);
    expect(() => edit('a: text\n', { key: 'a.b', value: 2 })).toThrow(/a is a scalar, not a map/);
  });

  test('spec checks', () => {
    expect(() => yamlKind.check!({ key: 'a' })).toThrow(/value is required/);
  });
});

describeWithRealFile('prometheus.yml', "Debian's prometheus.yml", (file) => {
  const real = fs.readFileSync(file, 'utf8');

  test.each<[YamlSpec, string[], string[]]>([
    [{ key: 'global.scrape_interval', value: '30s' }, ['  scrape_interval:     15s # Set the scrape interval to every 15 seconds. Default is every 1 minute.'], ['  scrape_interval:     30s # Set the scrape interval to every 15 seconds. Default is every 1 minute.']],
    [{ key: 'global.external_labels.env', value: 'prod' }, [], ["      env: 'prod'"]],
    [{ key: 'scrape_configs[1].static_configs[0].targets[1]', value: 'db:9100' }, ["      - targets: ['localhost:9100']"], ["      - targets: ['localhost:9100', 'db:9100']"]],
    [{ key: 'scrape_configs[0].scrape_timeout', ensure: 'absent' }, ['    scrape_timeout: 5s'], []],
  ])('%j changes only its lines, and again nothing', (spec, removed, added) => {
    const out = edit(real, spec);
    expect(changedLines(real, out)).toEqual({ removed, added });
    expect(edit(out, spec)).toBe(out);
  });

  test('a new scrape job appended to the list parses as the job', () => {
    const job = { job_name: 'mysql', static_configs: [{ targets: ['db:9104'] }] };
    const out = edit(real, { key: 'scrape_configs[2]', value: job });
    expect(parse(out).scrape_configs[2]).toEqual(job);
    expect(out.startsWith(real)).toBe(true);
  });
});

describe('property: generated documents', () => {
  const keyName = fc.stringMatching(/^[a-z]{1,6}$/);
  const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
  const value: fc.Arbitrary<DataValue> = fc.letrec<{ v: DataValue }>((tie) => ({
    v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(keyName, tie('v'), { maxKeys: 3 })),
  })).v;
  const documents = fc.dictionary(keyName, value, { minKeys: 1, maxKeys: 6 });
  const layout = fc.record({ indent: fc.constantFrom(2, 4), flow: fc.boolean() });

  test('an edit sets the value and keeps every other key; a second edit is a no-op; removal removes it', () => {
    fc.assert(
      fc.property(documents, layout, fc.nat(), keyName, value, fc.boolean(), (doc, how, pick, fresh, v, existing) => {
        const text = stringify(doc, { indent: how.indent, collectionStyle: how.flow ? 'flow' : 'any' });
        const keys = Object.keys(doc);
        const key = existing ? keys[pick % keys.length] : `${fresh}_new`;
        const out = edit(text, { key, value: v });
        expect(parseAllDocuments(out)[0].errors).toEqual([]);
        expect(parse(out)).toEqual({ ...doc, [key]: v });
        expect(edit(out, { key, value: v })).toBe(out);
        const rest = { ...doc };
        delete rest[key];
        const removed = edit(out, { key, ensure: 'absent' });
        expect(parse(removed) ?? {}).toEqual(rest);
      }),
      { numRuns: 500 },
    );
  });

  test('changing a scalar leaves every byte before and after it', () => {
    fc.assert(
      fc.property(documents, layout, fc.nat(), (doc, how, pick) => {
        const text = stringify(doc, { indent: how.indent, collectionStyle: how.flow ? 'flow' : 'any' });
        const keys = Object.keys(doc);
        const key = keys[pick % keys.length];
        const node = (parseAllDocuments(text)[0].contents as any).items.find((p: any) => p.key.value === key).value;
        fc.pre(node && node.range[0] < node.range[1] && (typeof doc[key] !== 'object' || doc[key] === null));
        const out = edit(text, { key, value: 'changed-value' });
        expect(out.startsWith(text.slice(0, node.range[0]))).toBe(true);
        expect(out.endsWith(text.slice(node.range[1]))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('an edit deep in the document sets exactly that value', () => {
    fc.assert(
      fc.property(documents, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), value, (doc, picks, v) => {
        const text = stringify(doc);
        // A path into the document: a key or index at each level, as deep as the picks and the data allow.
        const path: (string | number)[] = [];
        let at: unknown = doc;
        for (const p of picks) {
          if (Array.isArray(at) && at.length > 0) path.push(p % at.length);
          else if (at && typeof at === 'object' && Object.keys(at).length > 0) path.push(Object.keys(at)[p % Object.keys(at).length]);
          else break;
          at = (at as any)[path[path.length - 1]];
        }
        const key = path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
        const out = edit(text, { key, value: v });
        const wanted = structuredClone(doc) as any;
        const parent = parseKeyPath(key).slice(0, -1).reduce((o, s) => o[s], wanted);
        parent[path[path.length - 1]] = v;
        expect(parse(out)).toEqual(wanted);
        expect(edit(out, { key, value: v })).toBe(out);
      }),
      { numRuns: 500 },
    );
  });
});
