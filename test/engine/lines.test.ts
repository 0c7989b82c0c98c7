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

  test('an empty line added at the end of a file without a final newline keeps its terminator, or it would not be there', () => {
    expect(joinLines(insertLines(splitLines('a'), 1, ['']))).toBe('a\n\n');
  });

  test('a lone CR never meets an added empty LF line: the added side of that junction ends in CRLF', () => {
    // 'y\r' + '\n' would read back as one line 'y' ending in CRLF.
    expect(joinLines(insertLines(splitLines('x\ny\r'), 2, ['']))).toBe('x\ny\r\r\n');
    // 'c\r' before the empty LF line would swallow it the same way.
    expect(joinLines(insertLines(splitLines('a\rb\n\n'), 2, ['c']))).toBe('a\rb\nc\r\n\n');
  });

  test('inserted lines read back as exactly the lines inserted, whatever the line endings around them', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '\n', '\r', '\r\n') });
    const texts = fc.array(fc.constantFrom('', 'x', ' '), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(text, texts, fc.nat(), (s, added, n) => {
        const lines = splitLines(s);
        const out = insertLines(lines, n % (lines.length + 1), added);
        expect(splitLines(joinLines(out))).toEqual(out);
      }),
      { numRuns: 2000 },
    );
  });
});

test('inserting 200,000 lines (a huge block) does not overflow the stack', () => {
  const texts = Array.from({ length: 200_000 }, (_, i) => `line ${i}`);
  const out = insertLines([{ text: 'first', eol: '\n' }], 1, texts);
  expect(out).toHaveLength(200_001);
  expect(out[200_000]).toEqual({ text: 'line 199999', eol: '\n' });
});
