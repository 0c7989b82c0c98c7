import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeLossless } from '../../src/engine/bytes';
import { ResourceError } from '../../src/engine/diagnostics';
import type { FileModel } from '../../src/engine/types';
import { editLine, lineKind, type LineSpec } from '../../src/resources/line';
import { describeKindFixtures, testEditIsIdempotent } from '../helpers/kind-fixtures';
import { noMachine } from '../helpers/machine';
import { expectFoldAgrees } from '../helpers/parsed-fold';
import { refusal } from '../helpers/refusal';

const PHP_INI = ['[PHP]', 'memory_limit = 128M', 'max_execution_time = 30', 'extension=mysqli', 'extension=gd', '', '[Date]', ';date.timezone =', ''].join('\n');

/** check() then edit(), as the engine runs them. */
function run(text: string, spec: LineSpec) {
  lineKind.check!(spec);
  return editLine(text, spec);
}

describe('line: present with match', () => {
  test('replaces the one matching line and says which', () => {
    const out = run(PHP_INI, { line: 'memory_limit = 256M', match: '^memory_limit\\s*=' });
    expect(out.text).toBe(PHP_INI.replace('128M', '256M'));
    expect(out.reason).toBe("replaced line 2 'memory_limit = 128M' with 'memory_limit = 256M'");
  });

  test('a line already right is a byte-identical no-op', () => {
    const out = run(PHP_INI, { line: 'memory_limit = 128M', match: '^memory_limit\\s*=' });
    expect(out.text).toBe(PHP_INI);
    expect(out.reason).toBe('line already present at line 2');
  });

  test('several matches without multiple: an error listing the line numbers', () => {
    const text = 'memory_limit = 1M\n;x\nmemory_limit = 2M\nmemory_limit = 3M\n';
    const e = refusal(() => run(text, { line: 'memory_limit = 256M', match: '^memory_limit' }));
    expect(e.message).toBe("match '^memory_limit' matches 3 lines (1, 3, 4); set multiple: true to replace them all, or make match more specific");
    expect(e.field).toBe('match');
  });

  test('multiple: true replaces every match, leaving the ones already right', () => {
    const text = 'a = 1\nb\na = 2\na = 3\n';
    const out = run(text, { line: 'a = 3', match: '^a =', multiple: true });
    expect(out.text).toBe('a = 3\nb\na = 3\na = 3\n');
    expect(out.reason).toBe("replaced 2 lines (1, 3) with 'a = 3'");
  });

  test('several matches that all equal line still need multiple', () => {
    expect(() => run('a = 1\na = 1\n', { line: 'a = 1', match: '^a =' })).toThrow(/matches 2 lines \(1, 2\)/);
    expect(run('a = 1\na = 1\n', { line: 'a = 1', match: '^a =', multiple: true }).reason).toBe('line already present at line 1, 2');
  });

  test('replace: false leaves a matching line alone and adds only when none matches', () => {
    const kept = run(PHP_INI, { line: 'memory_limit = 512M', match: '^memory_limit', replace: false });
    expect(kept.text).toBe(PHP_INI);
    expect(kept.reason).toBe("line 2 matches '^memory_limit'; replace: false leaves it as it is");
    expect(run(PHP_INI, { line: 'max_input_time = 60', match: '^max_input_time', replace: false }).text).toBe(PHP_INI + 'max_input_time = 60\n');
  });
});

describe('line: a line that its own match cannot find is refused before any file is read', () => {
  test('the message says why it would never converge', () => {
    const e = refusal(() => lineKind.check!({ line: 'memory_limit = 256M', match: '^memory_limit = 128M$' }));
    expect(e.message).toContain("line 'memory_limit = 256M' does not match its own match '^memory_limit = 128M$'");
    expect(e.message).toContain('never converge');
    expect(e.hint).toContain('make match also match line');
  });

  test('with backrefs line is a template, so the check does not apply', () => {
    expect(() => lineKind.check!({ line: '\\1 = 256M', match: '^(memory_limit) = 128M$', backrefs: true })).not.toThrow();
  });
});

describe('line: insertion', () => {
  test('appends at the end by default', () => {
    const out = run(PHP_INI, { line: 'opcache.enable=1' });
    expect(out.text).toBe(PHP_INI + 'opcache.enable=1\n');
    expect(out.reason).toBe('added at the end of the file (line 9)');
  });

  test('after: goes after the LAST line matching it', () => {
    const out = run(PHP_INI, { line: 'extension=zip', after: '^extension=' });
    expect(out.text).toBe(PHP_INI.replace('extension=gd\n', 'extension=gd\nextension=zip\n'));
    expect(out.reason).toBe('added after line 5');
  });

  test('before: goes before the FIRST line matching it', () => {
    const out = run(PHP_INI, { line: '; managed by remedy', before: '^\\[' });
    expect(out.text).toBe('; managed by remedy\n' + PHP_INI);
    expect(out.reason).toBe('added before line 1');
  });

  test('BOF and EOF', () => {
    expect(run('a\n', { line: 'x', after: 'BOF' }).text).toBe('x\na\n');
    expect(run('a\n', { line: 'x', before: 'BOF' }).text).toBe('x\na\n');
    expect(run('a\n', { line: 'x', after: 'EOF' }).text).toBe('a\nx\n');
  });

  test('an anchor that matches nothing falls back to the end, and says so', () => {
    const out = run('a\n', { line: 'x', after: '^\\[Session\\]' });
    expect(out.text).toBe('a\nx\n');
    expect(out.reason).toBe("added at the end of the file (line 2): after '^\\[Session\\]' matches no line");
  });

  test('a line present elsewhere is never duplicated, and the unused anchor is reported (ansible#74991)', () => {
    const out = run(PHP_INI, { line: 'extension=mysqli', after: '^\\[Date\\]' });
    expect(out.text).toBe(PHP_INI);
    expect(out.reason).toBe('line already present at line 4; after not used');
  });

  test('after and before together are refused', () => {
    expect(refusal(() => lineKind.check!({ line: 'x', after: 'a', before: 'b' })).field).toBe('before');
  });

  test('an empty file gets "line\\n"', () => {
    expect(run('', { line: 'x' }).text).toBe('x\n');
  });

  test('CRLF and a missing final newline are kept', () => {
    expect(run('a\r\nb\r\n', { line: 'x' }).text).toBe('a\r\nb\r\nx\r\n');
    expect(run('a\nb', { line: 'x' }).text).toBe('a\nb\nx');
    expect(run('a\r\nb = 1\r\n', { line: 'b = 2', match: '^b =' }).text).toBe('a\r\nb = 2\r\n');
  });

  test('lines are compared exactly (trailing blanks count), without their terminator', () => {
    expect(run('x \r\n', { line: 'x' }).text).toBe('x \r\nx\r\n');
    expect(run('x\r\n', { line: 'x' }).reason).toBe('line already present at line 1');
  });

  test('a line with a line break is refused', () => {
    expect(refusal(() => lineKind.check!({ line: 'a\nb' })).field).toBe('line');
  });
});

describe('line: ensure absent', () => {
  test('removes every line equal to line, and only those', () => {
    const out = run('ALL: ALL\nsshd: 10.0.0.0/8\nALL: ALL \nALL: ALL\n', { line: 'ALL: ALL', ensure: 'absent' });
    expect(out.text).toBe('sshd: 10.0.0.0/8\nALL: ALL \n');
    expect(out.reason).toBe('removed 2 lines (1, 4)');
  });

  test('with match removes every matching line', () => {
    const out = run(PHP_INI, { match: '^extension=', ensure: 'absent' });
    expect(out.text).toBe(PHP_INI.replace('extension=mysqli\nextension=gd\n', ''));
    expect(out.reason).toBe('removed 2 lines (4, 5)');
  });

  test('removing nothing is a byte-identical no-op', () => {
    expect(run(PHP_INI, { line: 'nope', ensure: 'absent' })).toEqual({ text: PHP_INI, reason: "line 'nope' is not in the file; nothing to remove" });
    expect(run(PHP_INI, { match: '^nope', ensure: 'absent' }).text).toBe(PHP_INI);
  });

  test('keeps the final-newline state when the last line goes', () => {
    expect(run('a\nb', { line: 'b', ensure: 'absent' }).text).toBe('a');
  });

  test('needs line or match', () => {
    expect(() => lineKind.check!({ ensure: 'absent' })).toThrow(ResourceError);
  });

  test('present needs line', () => {
    expect(() => lineKind.check!({ match: 'x' })).toThrow(/line is required/);
  });
});

describe('line: backrefs', () => {
  const REDIS = '# bind 192.168.1.100\nbind 10.0.0.1 -::1\nport 6379\nbind 0.0.0.0\n';

  test('replaces the last matching line with the expanded line', () => {
    const out = run(REDIS, { match: '^(bind)\\s+\\S+(.*)$', line: '\\1 127.0.0.1\\2', backrefs: true });
    expect(out.text).toBe(REDIS.replace('bind 0.0.0.0', 'bind 127.0.0.1'));
    expect(out.reason).toBe("replaced line 4 'bind 0.0.0.0' with 'bind 127.0.0.1'");
  });

  test('with multiple replaces every matching line, each with its own groups', () => {
    const out = run(REDIS, { match: '^(bind)\\s+\\S+(.*)$', line: '\\1 127.0.0.1\\2', backrefs: true, multiple: true });
    expect(out.text).toBe('# bind 192.168.1.100\nbind 127.0.0.1 -::1\nport 6379\nbind 127.0.0.1\n');
    expect(out.reason).toBe('replaced 2 lines (2, 4)');
  });

  test('named groups in Python syntax', () => {
    expect(run(';date.timezone =\n', { match: '^;?(?P<key>date\\.timezone)\\s*=.*$', line: '\\g<key> = UTC', backrefs: true }).text).toBe('date.timezone = UTC\n');
  });

  test('nothing matching adds nothing', () => {
    expect(run('port 6379\n', { match: '^bind (.*)$', line: 'bind \\1', backrefs: true })).toEqual({ text: 'port 6379\n', reason: "no line matches '^bind (.*)$'; backrefs adds nothing" });
  });

  test('an expansion that the next run would change again is refused', () => {
    const e = refusal(() => run('PATH="/usr/bin"\n', { match: '^PATH="(.*)"$', line: 'PATH="\\1:/opt/bin"', backrefs: true }));
    expect(e.message).toBe('backrefs would never converge: after this edit the next run would rewrite line 1 \'PATH="/usr/bin:/opt/bin"\' to \'PATH="/usr/bin:/opt/bin:/opt/bin"\'');
  });

  test('the last match moving to another line on the next run is refused too', () => {
    expect(() => run('#Port 22\n#Port 2222\n', { match: '^#(Port .*)$', line: '\\1', backrefs: true })).toThrow(/never converge.*line 1 '#Port 22' to 'Port 22'/);
  });

  test('an expansion that stops matching converges', () => {
    expect(run('#Port 22\n', { match: '^#(Port .*)$', line: '\\1', backrefs: true }).text).toBe('Port 22\n');
  });

  test('contradictory options are refused', () => {
    expect(refusal(() => lineKind.check!({ line: '\\1', backrefs: true })).field).toBe('backrefs');
    expect(refusal(() => lineKind.check!({ line: '\\1', match: '(a)', backrefs: true, after: 'x' })).field).toBe('after');
    expect(refusal(() => lineKind.check!({ line: '\\1', match: '(a)', backrefs: true, replace: false })).field).toBe('replace');
    expect(refusal(() => lineKind.check!({ match: '(a)', ensure: 'absent', backrefs: true })).field).toBe('backrefs');
  });

  test('a reference to a group match does not have is a clear error', () => {
    expect(() => run('bind 1\n', { match: '^bind (.*)$', line: 'bind \\2', backrefs: true })).toThrow(/line refers to group \\2/);
  });
});

test('an invalid regex is refused at check time', () => {
  expect(() => lineKind.check!({ line: 'x', match: 'x(' })).toThrow(/match is not a valid regular expression/);
  expect(() => lineKind.check!({ line: 'x', after: '[' })).toThrow(/after is not a valid regular expression/);
});

test('the path kind creates a missing file only with create: true', () => {
  const ctx = noMachine;
  const absent: FileModel = { type: 'absent' };
  expect(lineKind.transform(absent, { line: 'x', create: true }, ctx).file).toEqual({ type: 'file', content: 'x\n' });
  expect(() => lineKind.transform(absent, { line: 'x' }, ctx)).toThrow(/does not exist/);
});

/** Debian's php.ini-production (fetched by the setup script into .cache/real): only the intended lines change. */
describe('line on the real php.ini-production', () => {
  const file = path.join(process.env.REMEDY_REAL_FILES ?? '.cache/real', 'php.ini-production');
  const available = fs.existsSync(file);
  if (!available) console.log(`skipping the real-file test: ${file} is missing (the setup script fetches it)`);
  const realTest = available ? test : test.skip;
  const original = () => decodeLossless(fs.readFileSync(file));

  /** Line numbers (1-based) whose text differs; both texts must have as many lines. */
  const changedLines = (a: string, b: string) => {
    const x = a.split('\n');
    const y = b.split('\n');
    expect(y.length).toBe(x.length);
    return x.flatMap((l, i) => (l === y[i] ? [] : [i + 1]));
  };

  realTest('memory_limit: exactly the setting line changes, doc comments stay, a second run is a no-op', () => {
    const text = original();
    const spec: LineSpec = { line: 'memory_limit = 256M', match: '^memory_limit\\s*=' };
    const out = run(text, spec);
    const at = text.split('\n').indexOf('memory_limit = 128M') + 1;
    expect(changedLines(text, out.text)).toEqual([at]);
    expect(out.reason).toBe(`replaced line ${at} 'memory_limit = 128M' with 'memory_limit = 256M'`);
    expect(run(out.text, spec)).toEqual({ text: out.text, reason: `line already present at line ${at}` });
  });

  realTest('display_errors: the "; display_errors" doc line is not taken for the setting', () => {
    const text = original();
    const out = run(text, { line: 'display_errors = On', match: '^display_errors\\s*=' });
    const at = text.split('\n').indexOf('display_errors = Off') + 1;
    expect(changedLines(text, out.text)).toEqual([at]);
    expect(out.text).toContain('\n; display_errors\n');
  });

  realTest('extension=zip goes after the last (commented) extension line', () => {
    const text = original();
    const out = run(text, { line: 'extension=zip', match: '^extension=zip$', after: '^;?extension=' });
    const lines = text.split('\n');
    const last = lines.reduce((found, l, i) => (/^;?extension=/.test(l) ? i : found), -1);
    expect(out.reason).toBe(`added after line ${last + 1}`);
    expect(out.text.split('\n')).toEqual([...lines.slice(0, last + 1), 'extension=zip', ...lines.slice(last + 1)]);
    expect(editLine(out.text, { line: 'extension=zip', match: '^extension=zip$', after: '^;?extension=' }).text).toBe(out.text);
  });
});

describe('line: idempotence', () => {
  const specs: LineSpec[] = [
    { line: 'memory_limit = 256M', match: '^memory_limit' },
    { line: 'a = 3', match: '^a =', multiple: true },
    { line: 'extension=zip', after: '^extension=' },
    { line: 'x', before: 'BOF' },
    { match: '^extension=', ensure: 'absent' },
    { match: '^(bind)\\s+\\S+(.*)$', line: '\\1 127.0.0.1\\2', backrefs: true, multiple: true },
  ];
  const texts = [PHP_INI, '', 'a = 1\r\nbind 0.0.0.0\r\na = 2', 'memory_limit = 1M\n'];
  testEditIsIdempotent(editLine, specs, texts);
});

describeKindFixtures(lineKind);

// The plan folds a run of line edits on one file's lines, edited in place and found through
// indexes (exact text; the literal start of an anchored match); each edit on its own splits
// the text afresh and tests every line. They must agree, reasons and refusals included.
describe('line: a run of edits folded on one file equals the edits applied one by one', () => {
  const fileOf = (maxLines: number) =>
    fc
      .tuple(fc.array(fc.constantFrom('a = 1', 'a = 2', 'ab = 1', 'b', 'bind 0.0.0.0 x', '#a = 1', '', 'x', ' a = 1', 'A = 1'), { maxLength: maxLines }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean())
      .map(([ls, eol, finalEol]) => ls.join(eol) + (finalEol && ls.length > 0 ? eol : ''));
  const spec = fc.constantFrom<LineSpec>(
    { line: 'a = 3', match: '^a =' },
    { line: 'a = 3', match: '^a =', multiple: true },
    { line: 'a = 1', match: '^a = ' },
    { line: 'ab = 2', match: '^ab' },
    { line: 'x' },
    { line: 'y', after: '^a' },
    { line: 'y', before: '^b' },
    { line: 'z', before: 'BOF' },
    { line: '', after: 'EOF' },
    { line: 'a = 1', ensure: 'absent' },
    { match: '^a', ensure: 'absent' },
    { match: '(?i)^a =', ensure: 'absent' },
    { match: 'b', ensure: 'absent' },
    { line: 'x', ensure: 'absent' },
    { match: '^(bind)\\s+\\S+(.*)$', line: '\\1 127.0.0.1\\2', backrefs: true },
    { match: '^(a) = (\\d)$', line: '\\1 = \\2', backrefs: true, multiple: true },
    { line: 'A = 2', match: '(?i)^a = ' , multiple: true },
  );
  const foldAgrees = (maxLines: number, maxEdits: number, numRuns: number) => expectFoldAgrees(lineKind, editLine, fileOf(maxLines), fc.array(spec, { minLength: 1, maxLength: maxEdits }), numRuns);

  test('for short files and runs', () => foldAgrees(12, 8, 3000));
  // Past 64 + 4 x sqrt(lines) changed lines, the sorted index of the lines is made again.
  test('for long runs of generated edits', () => foldAgrees(100, 600, 15));

  // The index of lines by prefix is made on the second look of a prefix length and kept up to date by every edit after.
  test('for 1,200 edits to a file of 200 lines, each found through the prefix index', () => {
    const start = Array.from({ length: 200 }, (_, i) => `k${i} = 0\n`).join('');
    const specs: LineSpec[] = [1, 2, 3].flatMap((v) => Array.from({ length: 200 }, (_, i) => [{ line: `k${i} = ${v}`, match: `^k${i} = ` }, { line: `n${(i * 7) % 50} = ${v}`, match: `^n${(i * 7) % 50} = ` }]).flat());
    const parsed = lineKind.parsedFold!;
    let doc = parsed.open({ type: 'file', content: start })!;
    let expected = start;
    for (const s of specs) {
      doc = parsed.edit(doc, s).doc;
      expected = editLine(expected, s).text;
    }
    const closed = parsed.close(doc);
    expect(closed.type === 'file' && closed.content).toBe(expected);
    expect(expected).toContain('\nk199 = 3\nn0 = 3\n');
  });
});
