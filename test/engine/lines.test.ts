import fc from 'fast-check';
import { insertLines, joinLines, removeLines, splitLines } from '../../src/engine/lines';

describe('line model', () => {
  test('split and join are exact for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '\n', '\r', ' ', ';') }), (s) => {
        expect(joinLines(splitLines(s))).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  test('CRLF files get CRLF lines', () => {
    expect(joinLines(insertLines(splitLines('a\r\nb\r\n'), 1, ['x']))).toBe('a\r\nx\r\nb\r\n');
  });

  test('a file without a final newline keeps none', () => {
    expect(joinLines(insertLines(splitLines('a\nb'), 2, ['x']))).toBe('a\nb\nx');
    expect(joinLines(removeLines(splitLines('a\nb'), [1]))).toBe('a');
  });

  test('an empty file gets a terminated line', () => {
    expect(joinLines(insertLines(splitLines(''), 0, ['x']))).toBe('x\n');
  });
});
