import { compileRegex, compileReplacement, groupsOf } from '../../src/resources/regex';

describe('regex helpers', () => {
  test('Python named groups are accepted', () => {
    const re = compileRegex('(?P<key>\\w+) = (?P=key)', 'pattern');
    expect(re.test('a = a')).toBe(true);
  });

  test('an invalid regex is a clear error naming the field', () => {
    expect(() => compileRegex('a(', 'match')).toThrow(/match is not a valid regular expression/);
  });

  test('replacement supports \\1, \\g<name>, \\g<1> and keeps $ literal', () => {
    const m = /(?<name>\w+)=(\d+)/.exec('memory=128')!;
    expect(compileReplacement('\\g<name> = \\2$ (\\g<1>) \\\\', 'replacement')(groupsOf(m))).toBe('memory = 128$ (memory) \\');
  });

  test('a reference to a missing group is an error', () => {
    const m = /(a)/.exec('a')!;
    expect(() => compileReplacement('\\3', 'replacement')(groupsOf(m))).toThrow(/group \\3/);
  });
});

describe('Python regex syntax users bring from Ansible', () => {
  test('\\A and \\Z anchor the whole text, even in multiline mode', () => {
    const start = compileRegex('\\Aline', 'pattern', { multiline: true, global: true });
    expect('line\nline\n'.match(start)).toHaveLength(1);
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

  test('replacement escapes \\r as a carriage return', () => {
    expect(compileReplacement('a\\r\\n', 'replacement')(groupsOf(/x/.exec('x')!))).toBe('a\r\n');
  });
});
