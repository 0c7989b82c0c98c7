import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeLossless } from '../../src/engine/bytes';
import { editReplace, replaceKind, type ReplaceSpec } from '../../src/resources/replace';
import { describeKindFixtures, testEditIsIdempotent } from '../helpers/kind-fixtures';
import { noMachine } from '../helpers/machine';
import { expectFoldAgrees } from '../helpers/parsed-fold';
import { refusal } from '../helpers/refusal';

/** check() then edit(), as the engine runs them. */
function run(text: string, spec: ReplaceSpec) {
  replaceKind.check!(spec);
  return editReplace(text, spec);
}

const WP_LIKE = [
  '<?php',
  "define( 'WPINC', 'wp-includes' );",
  "require ABSPATH . WPINC . '/version.php';",
  "require_once ABSPATH . WPINC . '/class-wp-error.php';",
  "require_once ABSPATH . WPINC . '/class-wp-locale.php';",
  "require_once ABSPATH . WPINC . '/class-wp-locale-switcher.php';",
  '',
].join('\n');

describe('replace: the founding incident', () => {
  const typo = WP_LIKE.replace("class-wp-locale.php'", "class-wp-locale.phpp'");
  const spec = { pattern: 'class-wp-locale\\.phpp', replacement: 'class-wp-locale.php' };

  test('the .phpp typo is fixed, and the reason names the line', () => {
    const out = run(typo, spec);
    expect(out.text).toBe(WP_LIKE);
    expect(out.reason).toBe('replaced 1 match (line 5)');
  });

  test('once fixed, nothing matches', () => {
    expect(run(WP_LIKE, spec)).toEqual({ text: WP_LIKE, reason: 'pattern matches nothing' });
  });

  test("a '\\.phpp\\b' pattern fixes every such typo and leaves .php alone", () => {
    const typos = WP_LIKE.replace("version.php'", "version.phpp'").replace("class-wp-locale.php'", "class-wp-locale.phpp'");
    const out = run(typos, { pattern: '\\.phpp\\b', replacement: '.php' });
    expect(out.text).toBe(WP_LIKE);
    expect(out.reason).toBe('replaced 2 matches (lines 3, 5)');
  });
});

describe('replace: matching and replacement syntax', () => {
  test('^ and $ anchor at every line; every match is replaced', () => {
    expect(run('a=1\nb=1\n a=1\n', { pattern: '^a=1$', replacement: 'a=2' }).text).toBe('a=2\nb=1\n a=1\n');
  });

  test('\\1, \\g<1>, \\g<name> with (?P<name>...), and $ literal', () => {
    expect(run('ListenAddress 10.0.0.1\n', { pattern: '^(?P<kw>ListenAddress)( +)\\S+$', replacement: '\\g<kw>\\2$HOST \\g<1>' }).text).toBe('ListenAddress $HOST ListenAddress\n');
  });

  test('replacement defaults to "": matches are removed', () => {
    expect(run('a  \nb\t\n', { pattern: '[ \\t]+$' })).toEqual({ text: 'a\nb\n', reason: 'replaced 2 matches (lines 1, 2)' });
  });

  test('a pattern may span lines, and line numbers count CRLF and CR breaks', () => {
    expect(run('a\n\n\n\nb\n', { pattern: '\\n{3,}', replacement: '\\n\\n' }).text).toBe('a\n\nb\n');
    expect(run('x\r\ny\rz foo\n', { pattern: 'foo', replacement: 'bar' }).reason).toBe('replaced 1 match (line 3)');
  });

  test('matches that already equal their replacement change nothing, and say so', () => {
    expect(run('memory_limit = 256M\n', { pattern: '^memory_limit = .*$', replacement: 'memory_limit = 256M' })).toEqual({
      text: 'memory_limit = 256M\n',
      reason: '1 match (line 1) already equal their replacement',
    });
  });

  test('a reason lists at most 10 line numbers', () => {
    const text = 'x\n'.repeat(12);
    expect(run(text, { pattern: '^x$', replacement: 'y' }).reason).toBe('replaced 12 matches (lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ...)');
  });
});

describe('replace: zero-width patterns', () => {
  test('terminate, and a convergent one works', () => {
    const out = run('http {\nserver_tokens on;\n}\n', { pattern: '^(?:)(server_tokens on;)', replacement: '# \\1' });
    expect(out.text).toBe('http {\n# server_tokens on;\n}\n');
  });

  test('an empty pattern with an empty replacement is a no-op', () => {
    expect(run('abc\n', { pattern: '(?:)', replacement: '' }).text).toBe('abc\n');
  });

  test('empty matches next to real ones count as in Python (5 matches in abxd)', () => {
    expect(run('abxd', { pattern: 'x*' })).toEqual({ text: 'abd', reason: 'replaced 5 matches (line 1)' });
  });

  test('x* -> - would insert dashes on every run: refused', () => {
    expect(() => run('abxd', { pattern: 'x*', replacement: '-' })).toThrow(/never converge/);
  });
});

describe('replace: never-converging patterns are refused', () => {
  test('at check time when the replacement is literal', () => {
    const e = refusal(() => replaceKind.check!({ pattern: 'a', replacement: 'aa' }));
    expect(e.message).toBe("pattern still matches its own replacement ('aa'), so replacing again would change the file again: it would never converge");
    expect(e.field).toBe('pattern');
    expect(() => replaceKind.check!({ pattern: '^', replacement: '# ' })).toThrow(/never converge/);
  });

  test('at edit time when groups make the result depend on the file', () => {
    const e = refusal(() => run('127.0.0.1 localhost\n', { pattern: '\\b(localhost)\\b', replacement: '\\1.localdomain \\1' }));
    expect(e.message).toContain("pattern still matches its own replacement ('127.0.0.1 localhost.localdomain localhost')");
  });

  test('a pattern that matches its replacement but leaves it unchanged is fine', () => {
    expect(() => replaceKind.check!({ pattern: 'a+', replacement: 'a' })).not.toThrow();
    expect(run('aaa\n', { pattern: 'a+', replacement: 'a' }).text).toBe('a\n');
  });
});

describe('replace: after/before confine the region like Ansible', () => {
  const conf = ['[a]', 'x=1', '[b]', 'x=1', '[c]', 'x=1', ''].join('\n');

  test('after: from the end of its first match to the end of the file', () => {
    expect(run(conf, { pattern: '^x=1$', replacement: 'x=2', after: '^\\[b\\]' }).text).toBe(conf.replace('[b]\nx=1\n[c]\nx=1', '[b]\nx=2\n[c]\nx=2'));
  });

  test('before alone: from the start to its LAST match (Ansible greedy .*)', () => {
    const out = run(conf, { pattern: '^x=1$', replacement: 'x=2', before: '^\\[' });
    expect(out.text).toBe('[a]\nx=2\n[b]\nx=2\n[c]\nx=1\n');
    expect(out.reason).toBe('replaced 2 matches (lines 2, 4)');
  });

  test('after and before: from the first after match to the first before match following it', () => {
    expect(run(conf, { pattern: '^x=1$', replacement: 'x=2', after: '^\\[a\\]', before: '^\\[' }).text).toBe(conf.replace('[a]\nx=1', '[a]\nx=2'));
  });

  test('an after match with no before after it is skipped for a later one', () => {
    const text = 'start\nx\nstart\nx\nend\n';
    expect(run(text, { pattern: 'x', replacement: 'y', after: 'start\\n', before: '^end' }).text).toBe('start\ny\nstart\ny\nend\n');
    expect(run('x\nstart\nx\n', { pattern: 'x', replacement: 'y', after: 'start', before: 'end' }).reason).toBe("after 'start' and before 'end' matches nothing in the file; nothing replaced");
  });

  test('no region is a no-op with a reason; nothing matching in the region too', () => {
    expect(run(conf, { pattern: 'x', replacement: 'y', after: '^\\[z\\]' })).toEqual({ text: conf, reason: "after '^\\[z\\]' matches nothing in the file; nothing replaced" });
    expect(run(conf, { pattern: 'nope', replacement: 'y', before: '^\\[c\\]' }).reason).toBe("pattern matches nothing before '^\\[c\\]'");
  });

  test('^ matches at the region start, as in Ansible (the pattern sees only the region)', () => {
    expect(run('key: old\n', { pattern: '^ old$', replacement: ' new', after: 'key:' }).text).toBe('key: new\n');
  });
});

describe('replace: spec errors', () => {
  test('an invalid regex is refused at check time, naming the field', () => {
    expect(() => replaceKind.check!({ pattern: 'class-wp-locale\\.phpp(' })).toThrow(/pattern is not a valid regular expression/);
    expect(() => replaceKind.check!({ pattern: 'a', after: '(' })).toThrow(/after is not a valid regular expression/);
  });

  test('a reference to a missing group is a clear error', () => {
    expect(() => run('ListenAddress 1\n', { pattern: '^(ListenAddress) .*$', replacement: '\\1 \\2' })).toThrow(/replacement refers to group \\2/);
  });

  test('a missing file is an error unless create: true (and stays missing when nothing is written)', () => {
    const ctx = noMachine;
    expect(() => replaceKind.transform({ type: 'absent' }, { pattern: 'a', replacement: 'b' }, ctx)).toThrow(/does not exist/);
    expect(replaceKind.transform({ type: 'absent' }, { pattern: 'a', replacement: 'b', create: true }, ctx).file).toEqual({ type: 'absent' });
  });
});

/** The real WordPress file (fetched by the setup script into .cache/real): typo in, fix, byte-identical out. */
describe('replace on the real wp-settings.php', () => {
  const file = path.join(process.env.REMEDY_REAL_FILES ?? '.cache/real', 'wp-settings.php');
  const available = fs.existsSync(file);
  if (!available) console.log(`skipping the real-file test: ${file} is missing (the setup script fetches it)`);
  (available ? test : test.skip)('introducing the .phpp typo and fixing it gives back the original bytes', () => {
    const original = decodeLossless(fs.readFileSync(file));
    const requireLine = "require_once ABSPATH . WPINC . '/class-wp-locale.php';";
    expect(original).toContain(requireLine);
    const broken = original.replace(requireLine, requireLine.replace('.php', '.phpp'));
    const line = original.slice(0, original.indexOf(requireLine)).split('\n').length;

    const fixed = run(broken, { pattern: 'class-wp-locale\\.phpp', replacement: 'class-wp-locale.php' });
    expect(fixed.text).toBe(original);
    expect(fixed.reason).toBe(`replaced 1 match (line ${line})`);
    expect(run(fixed.text, { pattern: '\\.phpp\\b', replacement: '.php' })).toEqual({ text: original, reason: 'pattern matches nothing' });
  });
});

describe('replace: idempotence', () => {
  const specs: ReplaceSpec[] = [
    { pattern: '\\.phpp\\b', replacement: '.php' },
    { pattern: '[ \\t]+$' },
    { pattern: '\\n{3,}', replacement: '\\n\\n' },
    { pattern: '^(server_tokens on;)', replacement: '# \\1' },
    { pattern: '^x=1$', replacement: 'x=2', after: '^\\[b\\]', before: '^\\[' },
  ];
  const texts = [WP_LIKE.replace(".php'", ".phpp'"), '', 'a  \r\n\r\n\r\n\r\nserver_tokens on;\r\n', '[a]\nx=1\n[b]\nx=1\n[c]\nx=1'];
  testEditIsIdempotent(editReplace, specs, texts);
});

describeKindFixtures(replaceKind);

describe('replace: the parsed fold (many replace resources on one file)', () => {
  test('the same text, reasons and refusals as editing one by one, on the fast path and off it', () => {
    const line = fc.oneof(fc.constantFrom('value1 = before', 'value2 = before', 'value1 = after', 'other', '', 'value1 = before value1 = before', ' value1 = before'), fc.stringMatching(/^[a-z0-9 =]{0,12}$/));
    const text = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([ls, eol, final]) => ls.join(eol) + (final && ls.length > 0 ? eol : ''));
    const spec = fc.constantFrom<ReplaceSpec>(
      { pattern: '^value1 = before$', replacement: 'value1 = after' },
      { pattern: '^value2 = (\\w+)', replacement: 'value2 = \\1!' },
      { pattern: '^value1 = before', replacement: 'value1 = after' },
      { pattern: 'value1', replacement: 'v1' },
      { pattern: '^value1 = before\\s', replacement: 'x ' },
      { pattern: '^other$', replacement: 'two\nlines' },
      { pattern: '^value2 = before$', replacement: '', after: '^value1' },
      { pattern: '^value1', replacement: 'value1x' },
    );
    expectFoldAgrees(replaceKind, editReplace, text, fc.array(spec, { minLength: 1, maxLength: 6 }), 2000);
  });
});
