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
