import { compileRegex, compileReplacement } from '../../src/resources/regex';
import { editLine } from '../../src/resources/line';
import { editReplace } from '../../src/resources/replace';
import { editBlock } from '../../src/resources/block';

const groups = (pattern: string, text: string) => compileRegex(pattern, 'pattern').exec(text)!.groups;

describe('regex helpers', () => {
  test('Python named groups are accepted', () => {
    expect(groups('(?P<key>\\w+) = (?P<value>\\w+)', 'a = b').named).toEqual({ key: 'a', value: 'b' });
  });

  test('an invalid regex is a clear error naming the field', () => {
    expect(() => compileRegex('a(', 'match')).toThrow(/match is not a valid regular expression: missing closing \)/);
  });

  test('replacement supports \\1, \\g<name>, \\g<1> and keeps $ literal', () => {
    expect(compileReplacement('\\g<name> = \\2$ (\\g<1>) \\\\', 'replacement')(groups('(?P<name>\\w+)=(\\d+)', 'memory=128'))).toBe('memory = 128$ (memory) \\');
  });

  test('a reference to a missing group is an error', () => {
    expect(() => compileReplacement('\\3', 'replacement')(groups('(a)', 'a'))).toThrow(/group \\3/);
  });

  test('exec from an offset finds the next match; ^ still anchors at line starts', () => {
    const re = compileRegex('^x', 'pattern', { multiline: true });
    expect(re.exec('x\nax\nx', 1)?.index).toBe(5);
  });
});

describe('Python regex syntax users bring from Ansible', () => {
  test('\\A and \\Z anchor the whole text, even in multiline mode', () => {
    const start = compileRegex('\\Aline', 'pattern', { multiline: true });
    expect(start.exec('line\nline\n', 1)).toBeUndefined();
    const end = compileRegex('x\\Z', 'pattern', { multiline: true });
    expect(end.test('x\ny')).toBe(false);
    expect(end.test('y\nx')).toBe(true);
    expect(compileRegex('\\\\A', 'pattern').test('\\A')).toBe(true);
  });

  test('leading inline flags (?i) (?s) (?m) become flags; others are refused', () => {
    expect(compileRegex('(?i)^display_errors', 'match').test('Display_Errors = On')).toBe(true);
    expect(compileRegex('(?s)a.b', 'match').test('a\nb')).toBe(true);
    expect(() => compileRegex('(?x)a b', 'match')).toThrow(/inline flag\(s\) 'x'/);
  });

  test('lookbehind is linear in RE2 and accepted', () => {
    expect(compileRegex('(?<!#)listen', 'match').test('#listen')).toBe(false);
    expect(compileRegex('(?<=^ *)listen', 'match').test('  listen')).toBe(true);
  });

  test.each([
    ['(?=x)', /lookahead/],
    ['^(?!# )', /lookahead/],
    ['(a)\\1', /backreference/],
    ['(?P<k>a)(?P=k)', /backreference/],
    ['(?<k>a)\\k<k>', /backreference/],
  ])('%s needs backtracking: refused, saying what to write instead', (pattern, why) => {
    expect(() => compileRegex(pattern, 'match')).toThrow(why);
  });

  test('escaped look-alikes are plain text, not refused', () => {
    expect(compileRegex('\\(\\?=x\\)', 'match').test('(?=x)')).toBe(true);
    expect(compileRegex('\\\\1', 'match').test('\\1')).toBe(true);
  });

  test('replacement escapes \\r as a carriage return', () => {
    expect(compileReplacement('a\\r\\n', 'replacement')(groups('x', 'x'))).toBe('a\r\n');
  });
});

// A backtracking engine takes 30-60 s on `^(a+)+$` against 33 a's and a b. RE2 is linear:
// these run against 100,000 characters; a hang would fail the suite by its timeout.
describe('ReDoS: catastrophic patterns finish (linear-time matching)', () => {
  const evil = 'a'.repeat(100_000) + 'b';
  const text = `${evil}\n`;
  test.each(['^(a+)+$', '^(a|a)*c$', '^(a|aa)+$', '^([a-z]+\\s?)*c$'])('%s in every field that takes a regex', (pattern) => {
    expect(editLine(text, { line: 'x', match: pattern }).text === `${text}x\n`).toBe(true);
    expect(editLine(text, { line: 'x', after: pattern }).text === `${text}x\n`).toBe(true);
    expect(editReplace(text, { pattern, replacement: 'y' }).reason).toMatch(/matches nothing/);
    expect(editReplace(text, { pattern: 'b', replacement: 'c', after: pattern }).reason).toMatch(/matches nothing/);
    expect(editBlock(text, { id: 'b', content: 'x', after: pattern }).text.endsWith('# END REMEDY MANAGED BLOCK b\n')).toBe(true);
  }, 10_000);
});
