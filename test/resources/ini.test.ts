import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { decodeLossless, encodeLossless } from '../../src/engine/bytes';
import type { FileModel } from '../../src/engine/types';
import { noMachine } from '../helpers/machine';
import { editIni, iniKind, type IniSpec } from '../../src/resources/ini';

const edit = (text: string, spec: IniSpec) => editIni(text, spec).text;
const lines = (...ls: string[]) => ls.map((l) => `${l}\n`).join('');

/** Puppet inifile's spec/unit/puppet/provider/ini_setting/ruby_spec.rb, where remedy agrees. */
describe('ported from Puppet ini_setting', () => {
  const orig = lines(
    '# This is a comment',
    '[section1]',
    '; This is also a comment',
    'foo=foovalue',
    '',
    'bar = barvalue',
    'main = true',
    '[section2]',
    '',
    'foo= foovalue2',
    'baz=bazvalue',
    'url = http://192.168.1.1:8080',
    '[section:sub]',
    'subby=bar',
    '    #another comment',
    ' ; yet another comment',
  );

  test('adds a missing setting to the correct section', () => {
    expect(edit(orig, { section: 'section2', key: 'yahoo', value: 'yippee' })).toBe(
      orig.replace('url = http://192.168.1.1:8080\n', 'url = http://192.168.1.1:8080\nyahoo = yippee\n'),
    );
  });

  test('modifies an existing setting, keeping its spacing', () => {
    expect(edit(orig, { section: 'section2', key: 'baz', value: 'bazvalue2' })).toBe(orig.replace('baz=bazvalue\n', 'baz=bazvalue2\n'));
    expect(edit(orig, { section: 'section1', key: 'main', value: 'false' })).toBe(orig.replace('main = true', 'main = false'));
    expect(edit(orig, { section: 'section2', key: 'foo', value: 'x' })).toBe(orig.replace('foo= foovalue2', 'foo= x'));
  });

  test('colons in section names and values', () => {
    expect(edit(orig, { section: 'section:sub', key: 'subby', value: 'foo' })).toBe(orig.replace('subby=bar', 'subby=foo'));
    expect(edit(orig, { section: 'section2', key: 'url', value: 'http://192.168.0.1:8080' })).toBe(orig.replace('192.168.1.1', '192.168.0.1'));
  });

  test('recognizes an existing setting with the specified value', () => {
    const r = editIni(orig, { section: 'section2', key: 'baz', value: 'bazvalue' });
    expect(r.text).toBe(orig);
    expect(r.reason).toBe('baz is already bazvalue');
  });

  test('adds a new section if the section does not exist (with colon)', () => {
    expect(edit(orig, { section: 'section3', key: 'huzzah', value: 'shazaam' })).toBe(`${orig}\n[section3]\nhuzzah = shazaam\n`);
    expect(edit(orig, { section: 'section:subsection', key: 'huzzah', value: 'shazaam' })).toBe(`${orig}\n[section:subsection]\nhuzzah = shazaam\n`);
  });

  test('an empty file gets the section with no blank line before it', () => {
    expect(edit('', { section: 'section1', key: 'setting1', value: 'hellowworld' })).toBe('[section1]\nsetting1 = hellowworld\n');
    expect(edit('', { section: 'section:subsection', key: 'setting1', value: 'hellowworld' })).toBe('[section:subsection]\nsetting1 = hellowworld\n');
  });

  test('when only an empty section exists', () => {
    expect(edit('[section]\n', { section: 'section', key: 'first', value: '1' })).toBe('[section]\nfirst = 1\n');
  });

  test('global section: add, modify, recognize', () => {
    const global = lines('# This is a comment', 'foo=blah', '[section2]', 'foo = http://192.168.1.1:8080', ' ; yet another comment');
    expect(edit(global, { section: '', key: 'bar', value: 'yippee' })).toBe(global.replace('foo=blah\n', 'foo=blah\nbar = yippee\n'));
    expect(edit(global, { section: '', key: 'foo', value: 'yippee' })).toBe(global.replace('foo=blah', 'foo=yippee'));
    expect(edit(global, { section: '', key: 'foo', value: 'blah' })).toBe(global);
  });

  test('when the first line of the file is a section', () => {
    const first = lines('[section2]', 'foo = http://192.168.1.1:8080');
    expect(edit(first, { section: '', key: 'foo', value: 'yippee' })).toBe(lines('foo = yippee', '', '[section2]', 'foo = http://192.168.1.1:8080'));
    expect(edit(first, { section: 'section2', key: 'foo', value: 'yippee' })).toBe(lines('[section2]', 'foo = yippee'));
    expect(edit(first, { section: 'section2', key: 'bar', value: 'baz' })).toBe(lines('[section2]', 'foo = http://192.168.1.1:8080', 'bar = baz'));
  });

  test('overriding the separator', () => {
    expect(edit('[section2]\nfoo=bar\n', { section: 'section2', key: 'foo', value: 'yippee', separator: '=' })).toBe('[section2]\nfoo=yippee\n');
    expect(edit('[section2]\nfoo: bar\n', { section: 'section2', key: 'foo', value: 'yippee', separator: ': ' })).toBe('[section2]\nfoo: yippee\n');
    expect(edit('[section2]\nfoo: bar\n', { section: 'section2', key: 'bar', value: 'baz', separator: ': ' })).toBe('[section2]\nfoo: bar\nbar: baz\n');
    expect(edit('[section2]\nfoo bar\n', { section: 'section2', key: 'foo', value: 'yippee', separator: ' ' })).toBe('[section2]\nfoo yippee\n');
    expect(edit('[section2]\nfoo bar\n', { section: 'section2', key: 'bar', value: 'baz', separator: ' ' })).toBe('[section2]\nfoo bar\nbar baz\n');
  });

  describe('ensure: absent', () => {
    const absent = lines(
      '[section1]',
      '; This is also a comment',
      'foo=foovalue',
      '',
      'bar = barvalue',
      'main = true',
      '[section2]',
      '',
      'foo= foovalue2',
      'baz=bazvalue',
      '[section3]',
      '# com = ment',
      'uncom = ment',
      '[section4]',
      'uncom = ment',
    );

    test('removes a setting that exists', () => {
      expect(edit(absent, { section: 'section1', key: 'foo', ensure: 'absent' })).toBe(absent.replace('foo=foovalue\n', ''));
    });

    test('does nothing, byte for byte, for a setting that does not exist', () => {
      const r = editIni(absent, { section: 'section2', key: 'nope', ensure: 'absent' });
      expect(r.text).toBe(absent);
      expect(r.reason).toBe('nope is already absent from [section2]');
      expect(edit(absent, { section: 'missing', key: 'foo', ensure: 'absent' })).toBe(absent);
    });

    test('keeps the comments of the section', () => {
      expect(edit(absent, { section: 'section3', key: 'uncom', ensure: 'absent' })).toBe(absent.replace('# com = ment\nuncom = ment\n', '# com = ment\n'));
    });

    test('keeps the header when the last line of the section goes (Puppet removes it)', () => {
      expect(edit(absent, { section: 'section4', key: 'uncom', ensure: 'absent' })).toBe(absent.replace('[section4]\nuncom = ment\n', '[section4]\n'));
    });
  });

  describe('indentation', () => {
    const indented = lines(
      '# This is a comment',
      '     [section1]',
      '     ; This is also a comment',
      '     foo=foovalue',
      '',
      '     bar = barvalue',
      '     main = true',
      '',
      '[section2]',
      '  foo= foovalue2',
      '  baz=bazvalue',
      '  url = http://192.168.1.1:8080',
      '[section:sub]',
      ' subby=bar',
      '    #another comment',
      '  fleezy = flam',
      ' ; yet another comment',
    );

    test('a new key is indented like the header-aligned keys', () => {
      expect(edit(indented, { section: 'section1', key: 'yahoo', value: 'yippee' })).toBe(indented.replace('     main = true\n', '     main = true\n     yahoo = yippee\n'));
      expect(edit(indented, { section: 'section2', key: 'yahoo', value: 'yippee' })).toBe(indented.replace('8080\n', '8080\n  yahoo = yippee\n'));
    });

    test('a new key takes the least indentation of its section, after the last setting', () => {
      expect(edit(indented, { section: 'section:sub', key: 'yahoo', value: 'yippee' })).toBe(indented.replace('  fleezy = flam\n', '  fleezy = flam\n yahoo = yippee\n'));
    });

    test('an updated key keeps its own indentation', () => {
      expect(edit(indented, { section: 'section1', key: 'bar', value: 'barvalue2' })).toBe(indented.replace('barvalue', 'barvalue2'));
      expect(edit(indented, { section: 'section:sub', key: 'fleezy', value: 'flam2' })).toBe(indented.replace('flam', 'flam2'));
    });
  });

  describe('commented copies (remedy uncomments in place where Puppet adds a line below)', () => {
    const commented = lines('     [section1]', '     # foo=foovalue', '     bar=barvalue', '     foo = foovalue2', '', '[section2]', '# foo = foovalue', ';bar=barvalue', 'blah = blah', '#baz=');

    test('uncomments the copy, keeping its style', () => {
      expect(edit(commented, { section: 'section2', key: 'foo', value: 'foo3' })).toBe(commented.replace('# foo = foovalue\n', 'foo = foo3\n'));
      expect(edit(commented, { section: 'section2', key: 'bar', value: 'bar3' })).toBe(commented.replace(';bar=barvalue\n', 'bar=bar3\n'));
      expect(edit(commented, { section: 'section2', key: 'baz', value: 'bazvalue' })).toBe(commented.replace('#baz=\n', 'baz=bazvalue\n'));
    });

    test('updates an existing setting in place, even with a commented copy', () => {
      expect(edit(commented, { section: 'section1', key: 'foo', value: 'foo3' })).toBe(commented.replace('foovalue2', 'foo3'));
    });

    test('a section holding only comments', () => {
      const only = lines('[section1]', '# foo=foovalue', '# bar=bar2');
      expect(edit(only, { section: 'section1', key: 'foo', value: 'foovalue2' })).toBe(lines('[section1]', 'foo=foovalue2', '# bar=bar2'));
      expect(edit(only, { section: 'section1', key: 'bar', value: 'barvalue2' })).toBe(lines('[section1]', '# foo=foovalue', 'bar=barvalue2'));
      expect(edit(only, { section: 'section1', key: 'baz', value: 'b' })).toBe(lines('[section1]', '# foo=foovalue', '# bar=bar2', 'baz = b'));
    });
  });

  test('sections with spaces, dashes and quotes', () => {
    const dashes = lines('[section - one]', 'foo=foovalue', '[section - two]', '', 'url = http://192.168.1.1:8080', '[section:sub]', 'subby=bar');
    expect(edit(dashes, { section: 'section - two', key: 'yahoo', value: 'yippee' })).toBe(dashes.replace('8080\n', '8080\nyahoo = yippee\n'));
    const git = lines('[branch "main"]', '        remote = origin', '', '[alias]', "to-deploy = log --grep='pull request' --format='%s (%cN)'", '[branch "production"]', '        remote = origin');
    expect(edit(git, { section: 'alias', key: 'foo', value: 'bar' })).toBe(git.replace("(%cN)'\n", "(%cN)'\nfoo = bar\n"));
    expect(edit(git, { section: 'branch "main"', key: 'remote', value: 'upstream' })).toBe(git.replace('remote = origin', 'remote = upstream'));
  });
});

describe('remedy behaviour', () => {
  test('reasons say what changed and why nothing did', () => {
    const php = lines('[PHP]', 'display_errors = On', 'memory_limit = 128M', '[Date]', ';date.timezone =');
    expect(editIni(php, { section: 'PHP', key: 'display_errors', value: 'Off' }).reason).toBe('set display_errors = Off (was On)');
    expect(editIni('[PHP]\ndisplay_errors =\n', { section: 'PHP', key: 'display_errors', value: 'Off' }).reason).toBe('set display_errors = Off (was empty)');
    expect(editIni(php, { section: 'PHP', key: 'display_errors', value: 'On' }).reason).toBe('display_errors is already On');
    expect(editIni(php, { section: 'Date', key: 'date.timezone', value: 'UTC' }).reason).toBe('uncommented ;date.timezone = and set it to UTC');
    expect(editIni(php, { section: 'PHP', key: 'post_max_size', value: '64M' }).reason).toBe('added post_max_size = 64M to [PHP]');
    expect(editIni(php, { section: 'PHP', key: 'memory_limit', ensure: 'absent' }).reason).toBe('removed 1 line setting memory_limit from [PHP]');
    expect(editIni(php, { section: 'New', key: 'k', value: 'v' }).reason).toBe('added [New] with k = v');
    expect(editIni(php, { section: '', key: 'k', value: 'v' }).reason).toBe('added k = v to the global area');
  });

  test('sensitive values stay out of reasons', () => {
    const r = editIni(lines('[db]', 'password = hunter2'), { section: 'db', key: 'password', value: 's3cret', sensitive: true });
    expect(r.text).toBe(lines('[db]', 'password = s3cret'));
    expect(r.reason).not.toMatch(/hunter2|s3cret/);
  });

  test('documentation prose is never a commented copy', () => {
    const doc = lines('[PHP]', '; display_errors', ';   Default Value: On', '; Default Value: On', ';   display_errors = On', 'x = 1');
    expect(edit(doc, { section: 'PHP', key: 'display_errors', value: 'Off' })).toBe(doc.replace('x = 1\n', 'x = 1\ndisplay_errors = Off\n'));
  });

  test('a commented copy in another section is not used', () => {
    const other = lines('[a]', ';k = 1', '[b]', 'x = 1');
    expect(edit(other, { section: 'b', key: 'k', value: '2' })).toBe(lines('[a]', ';k = 1', '[b]', 'x = 1', 'k = 2'));
  });

  test('the last commented setting copy wins; one with the wanted value wins over it', () => {
    const errorLog = lines('[PHP]', '; Example:', ';error_log = php_errors.log', '; Log errors to syslog.', ';error_log = syslog', '', 'x = 1');
    expect(edit(errorLog, { section: 'PHP', key: 'error_log', value: '/var/log/php.log' })).toBe(errorLog.replace(';error_log = syslog', 'error_log = /var/log/php.log'));
    expect(edit(errorLog, { section: 'PHP', key: 'error_log', value: 'php_errors.log' })).toBe(errorLog.replace(';error_log = php_errors.log', 'error_log = php_errors.log'));
  });

  test('keys with dots and keys that only start like the wanted key', () => {
    const opc = lines('[opcache]', ';opcache.enable_cli=0', ';opcache.enable=1', 'opcache.enable_file_override=0');
    expect(edit(opc, { section: 'opcache', key: 'opcache.enable', value: '1' })).toBe(opc.replace(';opcache.enable=1', 'opcache.enable=1'));
    expect(edit(lines('[s]', 'a.b = 1'), { section: 's', key: 'aXb', value: '2' })).toBe(lines('[s]', 'a.b = 1', 'aXb = 2'));
  });

  test('the whole text after the separator is the value (inline comments included), quotes compared raw', () => {
    const inline = lines('[s]', 'k = 1 ; one', 'q = "a b"  ');
    expect(edit(inline, { section: 's', key: 'k', value: '1 ; one' })).toBe(inline);
    expect(edit(inline, { section: 's', key: 'k', value: '2' })).toBe(inline.replace('1 ; one', '2'));
    expect(edit(inline, { section: 's', key: 'q', value: '"a b"' })).toBe(inline);
    expect(edit(inline, { section: 's', key: 'q', value: 'a b' })).toBe(inline.replace('"a b"  ', 'a b  '));
  });

  test('an empty value', () => {
    expect(edit(lines('[s]', 'doc_root ='), { section: 's', key: 'doc_root', value: '/srv' })).toBe(lines('[s]', 'doc_root = /srv'));
    expect(edit(lines('[s]', 'doc_root = /srv'), { section: 's', key: 'doc_root', value: '' })).toBe(lines('[s]', 'doc_root ='));
    expect(edit(lines('[s]'), { section: 's', key: 'doc_root', value: '' })).toBe(lines('[s]', 'doc_root ='));
  });

  test('a new section follows exactly one blank line', () => {
    expect(edit('a = 1\n\n', { section: 's', key: 'k', value: 'v' })).toBe('a = 1\n\n[s]\nk = v\n');
    expect(edit('a = 1', { section: 's', key: 'k', value: 'v' })).toBe('a = 1\n\n[s]\nk = v');
  });

  test('a repeated header is one section: its copies are collapsed, new keys go to its last block', () => {
    const twice = lines('[s]', 'k = 1', '[t]', 'x = 1', '[s]', 'k = 2', 'y = 1');
    expect(edit(twice, { section: 's', key: 'k', value: '3' })).toBe(lines('[s]', 'k = 3', '[t]', 'x = 1', '[s]', 'y = 1'));
    expect(edit(twice, { section: 's', key: 'z', value: '3' })).toBe(`${twice}z = 3\n`);
  });

  describe('values', () => {
    const ext = lines('[PHP]', 'extension=curl', 'extension=gd', 'extension=zip', 'x = 1');

    test('keeps listed lines in place, removes the others, adds the missing after their predecessor', () => {
      expect(edit(ext, { section: 'PHP', key: 'extension', values: ['curl', 'zip', 'intl'] })).toBe(lines('[PHP]', 'extension=curl', 'extension=zip', 'extension=intl', 'x = 1'));
    });

    test('a value before every kept one goes just above the first kept line', () => {
      expect(edit(ext, { section: 'PHP', key: 'extension', values: ['intl', 'gd'] })).toBe(lines('[PHP]', 'extension=intl', 'extension=gd', 'x = 1'));
    });

    test('order is enforced: lines out of order are replaced', () => {
      expect(edit(ext, { section: 'PHP', key: 'extension', values: ['zip', 'curl'] })).toBe(lines('[PHP]', 'extension=zip', 'extension=curl', 'x = 1'));
    });

    test('no listed value present: the new lines replace the last copy, in its style', () => {
      expect(edit(ext, { section: 'PHP', key: 'extension', values: ['a', 'b'] })).toBe(lines('[PHP]', 'extension=a', 'extension=b', 'x = 1'));
    });

    test('an empty list removes every copy', () => {
      expect(edit(ext, { section: 'PHP', key: 'extension', values: [] })).toBe(lines('[PHP]', 'x = 1'));
      expect(edit(ext, { section: 'Other', key: 'extension', values: [] })).toBe(ext);
    });

    test('absent with values removes only those lines', () => {
      expect(edit(ext, { section: 'PHP', key: 'extension', ensure: 'absent', values: ['gd', 'nope'] })).toBe(ext.replace('extension=gd\n', ''));
      expect(editIni(ext, { section: 'PHP', key: 'extension', ensure: 'absent', values: ['nope'] }).reason).toBe('extension has none of the values nope in [PHP]');
    });

    test('commented copies with wanted values are uncommented when the order allows', () => {
      const commented = lines('[PHP]', ';extension=bz2', ';extension=gd', ';extension=mysqli', '', 'x = 1');
      expect(edit(commented, { section: 'PHP', key: 'extension', values: ['gd', 'mysqli'] })).toBe(commented.replace(';extension=gd', 'extension=gd').replace(';extension=mysqli', 'extension=mysqli'));
      expect(edit(commented, { section: 'PHP', key: 'extension', values: ['mysqli', 'gd'] })).toBe(commented.replace(';extension=mysqli\n', 'extension=mysqli\nextension=gd\n'));
      expect(edit(commented, { section: 'PHP', key: 'extension', values: ['intl'] })).toBe(commented.replace(';extension=mysqli', 'extension=intl'));
    });
  });

  describe('`key value` files with blocks (sshd_config Match)', () => {
    const sshd = 'Include /etc/ssh/sshd_config.d/*.conf\n#PermitRootLogin prohibit-password\nPermitRootLogin yes\nMatch User backup\n\tPermitRootLogin no\n';
    const spec = (extra: Partial<IniSpec>): IniSpec => ({ section: '', key: 'PermitRootLogin', separator: ' ', ...extra });

    test('a copy inside a Match block is never removed as a stray copy: refused, naming the line', () => {
      expect(() => edit(sshd, spec({ value: 'no' }))).toThrow("line 5 ('PermitRootLogin no') may belong to a block");
      expect(() => edit(sshd, spec({ ensure: 'absent' }))).toThrow('line 5');
    });

    test('a setting found only inside a block is not taken for the global one, even when its value is right', () => {
      const onlyInBlock = '#PermitRootLogin prohibit-password\nMatch User backup\n  PermitRootLogin no\n';
      expect(() => edit(onlyInBlock, spec({ value: 'no' }))).toThrow("it follows 'Match User backup'");
    });

    test('an indented top-level line keeps being set in place; a file without blocks edits as before', () => {
      expect(edit('  Port 22\n', spec({ key: 'Port', value: '2222' }))).toBe('  Port 2222\n');
      expect(edit('PermitRootLogin yes\nPort 22\n', spec({ value: 'no' }))).toBe('PermitRootLogin no\nPort 22\n');
    });
  });

  describe('spec checks', () => {
    const refuses = (spec: IniSpec, message: string) => expect(() => iniKind.check!(spec)).toThrow(message);

    test('refuses contradictory or incomplete specs', () => {
      refuses({ section: 's', key: 'k', value: 'a', values: ['a'] }, 'value and values cannot be used together');
      refuses({ section: 's', key: 'k' }, 'ensure: present needs value or values');
      refuses({ section: 's', key: 'k', ensure: 'absent', value: 'a' }, 'value has no meaning with ensure: absent');
      refuses({ section: 's', key: 'k', ensure: 'absent', values: [] }, 'ensure: absent would remove nothing');
      refuses({ section: 's', key: 'k', ensure: 'absent', create: true }, 'create: true has no meaning with ensure: absent');
    });

    test('refuses keys and values that could never match their own line', () => {
      refuses({ section: 's', key: ' k', value: 'a' }, 'whitespace at its start or end');
      refuses({ section: 's', key: ';k', value: 'a' }, 'starts with ;');
      refuses({ section: 's', key: '[k', value: 'a' }, 'starts with [');
      refuses({ section: 's', key: 'a=b', value: 'a' }, "contains the separator '='");
      refuses({ section: 's', key: 'a: b', value: 'a', separator: ': ' }, "contains the separator ':'");
      refuses({ section: 's', key: 'a b', value: 'a', separator: ' ' }, "contains the separator ' '");
      refuses({ section: 's', key: 'k', value: 'a ' }, 'whitespace at its start or end');
      refuses({ section: 's', key: 'k', values: ['a', 'b\nc'] }, 'values contains a line break');
      refuses({ section: 's\n', key: 'k', value: 'a' }, 'section contains a line break');
    });

    test('accepts the usual specs', () => {
      expect(() => iniKind.check!({ section: '', key: 'date.timezone', value: 'UTC' })).not.toThrow();
      expect(() => iniKind.check!({ section: 'PHP', key: 'extension', ensure: 'absent' })).not.toThrow();
    });
  });
});

describe('properties over generated INI files', () => {
  const fileLine = fc.constantFrom('[a]', '[b]', '  [a]', '[a:b]', 'k = 1', 'k=2', '  k = 3', 'k =', 'k2 = x', 'other=1', ';k = 1', '; k=2', '#k=', '; k', ';   k = 5', '; doc', '', '  ', 'k: 1', 'k 1', ';k: 2', 'k2 y');
  const file = fc.tuple(fc.array(fileLine, { maxLength: 14 }), fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([ls, eol, finalEol]) => ls.join(eol) + (finalEol && ls.length > 0 ? eol : ''));
  const wantedValues = fc.uniqueArray(fc.constantFrom('1', '2', '3', ''), { maxLength: 3 });
  const spec: fc.Arbitrary<IniSpec> = fc.record({ section: fc.constantFrom('', 'a', 'b', 'c'), key: fc.constantFrom('k', 'k2'), separator: fc.constantFrom(' = ', '=', ': ', ' ') }).chain((base) =>
    fc.oneof(
      fc.constantFrom('1', '2', '').map((value): IniSpec => ({ ...base, value })),
      wantedValues.map((values): IniSpec => ({ ...base, values })),
      fc.constant<IniSpec>({ ...base, ensure: 'absent' }),
      wantedValues.filter((v) => v.length > 0).map((values): IniSpec => ({ ...base, ensure: 'absent', values })),
    ),
  );

  /** The edit, or undefined where it refuses a line that may be in a block of a `key value` file (the only refusal here). */
  const editOrRefuse = (text: string, s: IniSpec): string | undefined => {
    try {
      return edit(text, s);
    } catch (e) {
      if (s.separator === ' ' && /may belong to a block/.test((e as Error).message)) return undefined;
      throw e;
    }
  };

  test('an edit applied twice equals the edit applied once', () => {
    fc.assert(
      fc.property(file, spec, (text, s) => {
        const once = editOrRefuse(text, s);
        if (once === undefined) return;
        expect(edit(once, s)).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });

  // The plan folds a run of edits on one parsed file, edited in place with its indexes and
  // per-block facts kept up to date; each edit on its own parses the text afresh. They must agree.
  test('a run of edits folded on one parsed file equals the edits applied one by one to the text', () => {
    const parsed = iniKind.parsedFold!;
    fc.assert(
      fc.property(file, fc.array(spec, { minLength: 1, maxLength: 8 }), (text, specs) => {
        let expected = text;
        const outcomes: string[] = [];
        for (const s of specs) {
          const next = editOrRefuse(expected, s);
          if (next === undefined) return;
          outcomes.push(editIni(expected, s).reason);
          expected = next;
        }
        let doc = parsed.open({ type: 'file', content: text })!;
        const reasons = specs.map((s) => {
          const out = parsed.edit(doc, s);
          doc = out.doc;
          return out.reason;
        });
        const folded = parsed.close(doc);
        expect(folded.type === 'file' && folded.content).toBe(expected);
        expect(reasons).toEqual(outcomes);
      }),
      { numRuns: 3000 },
    );
  });

  test('lines that do not mention the key survive, in order', () => {
    fc.assert(
      fc.property(file, spec, (text, s) => {
        const edited = editOrRefuse(text, s);
        if (edited === undefined) return;
        const after = edited.split(/\r?\n/);
        let at = 0;
        for (const line of text.split(/\r?\n/).filter((l) => !l.includes(s.key))) {
          while (at < after.length && after[at] !== line) at++;
          expect(at).toBeLessThan(after.length);
          at++;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** Runs every fixture case through the kind's transform (the engine's path): result and idempotence. */
describe('fixtures', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'ini');
  const cases = fs.readdirSync(dir).filter((c) => fs.existsSync(path.join(dir, c, 'manifest.yml')));

  test('there are at least 20 cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));

  const read = (file: string): FileModel => (fs.existsSync(file) ? { type: 'file', content: decodeLossless(fs.readFileSync(file)) } : { type: 'absent' });
  const ctx = noMachine;

  test.each(cases)('%s', (name) => {
    const caseDir = path.join(dir, name);
    const { resources } = parse(fs.readFileSync(path.join(caseDir, 'manifest.yml'), 'utf8')) as { resources: (IniSpec & { path: string })[] };
    const errorFile = path.join(caseDir, 'error.txt');
    for (const spec of resources) {
      const before = read(path.join(caseDir, 'before', spec.path));
      const run = () => {
        iniKind.check!(spec);
        return iniKind.transform(before, spec, ctx);
      };
      if (fs.existsSync(errorFile)) {
        const expected = fs.readFileSync(errorFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
        for (const line of expected) expect(run).toThrow(line);
        continue;
      }
      const afterDir = fs.existsSync(path.join(caseDir, 'after')) ? 'after' : 'before';
      const expected = fs.readFileSync(path.join(caseDir, afterDir, spec.path));
      const once = run();
      expect(once.file.type).toBe('file');
      const text = (once.file as { content: string }).content;
      expect(encodeLossless(text).toString('latin1')).toBe(expected.toString('latin1'));
      const twice = iniKind.transform(once.file, spec, ctx);
      expect((twice.file as { content: string }).content).toBe(text);
    }
  });
});

/** Debian's php.ini-production, fetched by the setup script (not committed). */
describe("Debian's php.ini-production", () => {
  const file = path.join(process.env.REMEDY_REAL_FILES ?? '.cache/real', 'php.ini-production');
  const present = fs.existsSync(file);
  if (!present) {
    test.skip(`skipped: ${file} is missing (run the setup script that fetches real files)`, () => undefined);
    console.log(`ini.test.ts: skipping the php.ini-production tests: ${file} is missing`);
    return;
  }
  const original = decodeLossless(fs.readFileSync(file));

  /** The one run of lines that differs: where it starts (1-based), what it was, what it becomes. */
  function changedLines(spec: IniSpec): { at: number; removed: string[]; added: string[] } {
    const after = editIni(original, spec).text;
    expect(editIni(after, spec).text).toBe(after);
    const a = original.split('\n');
    const b = after.split('\n');
    let start = 0;
    while (start < a.length && a[start] === b[start]) start++;
    let endA = a.length;
    let endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
      endA--;
      endB--;
    }
    return { at: start + 1, removed: a.slice(start, endA), added: b.slice(start, endB) };
  }

  const lineOf = (text: string) => original.split('\n').indexOf(text) + 1;

  test('display_errors Off -> On changes only the real line, not the "; display_errors" doc lines', () => {
    expect(changedLines({ section: 'PHP', key: 'display_errors', value: 'On' })).toEqual({ at: lineOf('display_errors = Off'), removed: ['display_errors = Off'], added: ['display_errors = On'] });
    expect(editIni(original, { section: 'PHP', key: 'display_errors', value: 'Off' }).text).toBe(original);
  });

  test('memory_limit 128M -> 256M', () => {
    expect(changedLines({ section: 'PHP', key: 'memory_limit', value: '256M' })).toEqual({ at: lineOf('memory_limit = 128M'), removed: ['memory_limit = 128M'], added: ['memory_limit = 256M'] });
  });

  test('uncomments ;date.timezone = in [Date]', () => {
    expect(changedLines({ section: 'Date', key: 'date.timezone', value: 'UTC' })).toEqual({ at: lineOf(';date.timezone ='), removed: [';date.timezone ='], added: ['date.timezone = UTC'] });
  });

  test('uncomments ;opcache.enable=1 in [opcache], leaving ;opcache.enable_cli alone', () => {
    expect(changedLines({ section: 'opcache', key: 'opcache.enable', value: '1' })).toEqual({ at: lineOf(';opcache.enable=1'), removed: [';opcache.enable=1'], added: ['opcache.enable=1'] });
  });

  test('adds a new key to [PHP] after its last setting', () => {
    const at = lineOf('default_socket_timeout = 60');
    expect(changedLines({ section: 'PHP', key: 'remedy.test', value: 'yes' })).toEqual({ at: at + 1, removed: [], added: ['remedy.test = yes'] });
  });

  test('the doc comment lines mentioning display_errors are byte-identical after every edit', () => {
    const docs = original.split('\n').filter((l) => /^;.*display_errors/.test(l));
    expect(docs).toContain('; display_errors');
    const after = editIni(editIni(original, { section: 'PHP', key: 'display_errors', value: 'On' }).text, { section: 'PHP', key: 'display_errors', ensure: 'absent' }).text;
    expect(after.split('\n').filter((l) => /^;.*display_errors/.test(l))).toEqual(docs);
    expect(after.split('\n').filter((l) => /^display_errors/.test(l))).toEqual([]);
  });

  test('extensions: uncomments the listed ;extension= lines in order', () => {
    const after = editIni(original, { section: 'PHP', key: 'extension', values: ['curl', 'mysqli'] }).text;
    expect(after.split('\n').filter((l) => /^extension=/.test(l))).toEqual(['extension=curl', 'extension=mysqli']);
    expect(after.replace('\nextension=curl\n', '\n;extension=curl\n').replace('\nextension=mysqli\n', '\n;extension=mysqli\n')).toBe(original);
  });
});

// The key index (lines by their leading word) must find every line a full scan would:
// each line the key's pattern matches is set, so `ensure: absent` removes exactly those.
describe('ini: finding a key by its leading word misses no line a scan would match', () => {
  const piece = fc.constantFrom('k', 'k.x', 'k-1', 'a b', 'é', '@k', ';', '#', ' ', '\t', '=', ':', ' = ', 'v', '.', '[', ']');
  const line = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
  const key = fc.constantFrom('k', 'k.x', 'k-1', 'a b', 'é', '@k', 'k:x');
  const separator = fc.constantFrom(' = ', ' ', ':', '=');
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

  test('for generated lines, keys and separators', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), key, separator, (lines, k, sep) => {
        const text = lines.filter((l) => !/^[ \t]*\[.*\][ \t]*$/.test(l)).join('\n');
        const core = sep.trim();
        const spacing = core === '' ? '[ \\t]+' : `[ \\t]*${escape(core)}[ \\t]*`;
        const setting = new RegExp(`^([ \\t]*)${escape(k)}(${spacing})(.*?)([ \\t]*)$`);
        const expected = text.split('\n').filter((l) => setting.test(l)).length;
        let out;
        try {
          out = editIni(text, { section: '', key: k, separator: sep, ensure: 'absent' });
        } catch {
          return; // refused (a `key value` block line): nothing to compare
        }
        const removed = expected === 0 ? 0 : Number(/removed (\d+) lines?|removed 1 line/.exec(out.reason)?.[1] ?? 1);
        expect(removed).toBe(expected);
        expect(out.text.split('\n').filter((l) => setting.test(l))).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});
